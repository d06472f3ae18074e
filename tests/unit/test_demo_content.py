"""The demo data files: articles, catalogue, doctors and illustrations (no database)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC
from pathlib import Path

import pytest

from shop.demo import data
from shop.demo.article_files import (
    ARTICLES_DIR,
    EMBED_RE,
    FrontMatterError,
    load_articles,
    parse_article,
)
from shop.pricing.money import percent_off

STATIC = Path(data.__file__).resolve().parent.parent / "static"
MAIN = "muscle-spasm-in-back"
MAIN_TITLE = "Muscle Spasm in Back: Symptoms, Causes and Treatment"
REQUIRED_ARTICLES = {
    MAIN,
    "muscle-cramps",
    "medicines-for-muscle-spasms",
    "muscle-pain-treatment",
    "leg-pain-treatment",
}
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def articles():
    return {a.slug: a for a in load_articles()}


def h2_headings(body: str) -> list[str]:
    return [line[3:].strip() for line in body.splitlines() if line.startswith("## ")]


def warning_blocks(body: str) -> list[list[str]]:
    blocks, current = [], None
    for line in body.splitlines():
        if line.strip() == ":::warning":
            assert current is None, "nested :::warning"
            current = []
        elif line.strip() == ":::" and current is not None:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line.strip())
    assert current is None, "unclosed :::warning"
    return blocks


# --- articles ---------------------------------------------------------------------------


def test_every_article_file_parses(articles):
    files = sorted(p.stem for p in ARTICLES_DIR.glob("*.md"))
    assert sorted(articles) == files
    assert set(articles) >= REQUIRED_ARTICLES
    for article in articles.values():
        assert article.title and article.summary and article.author
        assert article.published_at.tzinfo is not None
        assert article.published_at.utcoffset() == UTC.utcoffset(None)


def test_articles_point_at_demo_condition_and_doctors(articles):
    for article in articles.values():
        assert article.condition in data.CONDITIONS_BY_SLUG
        assert article.reviewer in data.DOCTORS_BY_SLUG
    assert {a.condition for a in articles.values()} == {"muscle-spasm"}


def test_main_article_sections_in_order(articles):
    main = articles[MAIN]
    assert main.title == MAIN_TITLE
    assert h2_headings(main.body) == ["Symptoms", "Causes", "Treatment", "Takeaway"]


def test_main_article_red_flags_inside_symptoms(articles):
    body = articles[MAIN].body
    symptoms = body.split("## Symptoms", 1)[1].split("## Causes", 1)[0]
    blocks = warning_blocks(symptoms)
    assert len(blocks) == 1
    items = " | ".join(blocks[0]).lower()
    for phrase in (
        "loss of bladder or bowel control",
        "weakness in the hands or feet",
        "one side of the body",
        "balance",
        "numbness anywhere",
    ):
        assert phrase in items
    assert len([item for item in blocks[0] if item.startswith("- ")]) == 5


def test_main_article_covers_causes_and_treatment(articles):
    body = articles[MAIN].body.lower()
    causes = body.split("## causes", 1)[1].split("## treatment", 1)[0]
    for phrase in (
        "sitting",
        "posture",
        "athletes",
        "lifting",
        "water",
        "potassium",
        "calcium",
        "stress",
        "anxiety",
        "falls",
        "injuries",
    ):
        assert phrase in causes, phrase
    treatment = body.split("## treatment", 1)[1].split("## takeaway", 1)[0]
    for phrase in (
        "rest",
        "ice",
        "heat",
        "two days",
        "towel",
        "three to four times a day",
        "paracetamol",
        "acetaminophen",
        "naproxen",
        "ibuprofen",
        "ask a doctor",
        "physiotherap",
        "massage",
        "never massage during severe pain",
        "child's pose",
        "balasana",
        "discomfort",
    ):
        assert phrase in treatment, phrase


def test_main_article_embeds_joint_products_on_their_own_lines(articles):
    body = articles[MAIN].body
    lines = {line.strip() for line in body.splitlines()}
    assert "[[product:joint-pain-oil]]" in lines
    assert "[[product:joint-capsule]]" in lines


def test_main_article_related(articles):
    related = articles[MAIN].related
    assert len(related) >= 4
    assert {
        "muscle-cramps",
        "medicines-for-muscle-spasms",
        "muscle-pain-treatment",
        "leg-pain-treatment",
    } <= set(related)
    for slug in related:
        assert (ARTICLES_DIR / f"{slug}.md").is_file()


def test_related_articles_exist_and_point_back(articles):
    for article in articles.values():
        assert article.related, article.slug
        for slug in article.related:
            assert slug in articles, (article.slug, slug)
    for slug in REQUIRED_ARTICLES - {MAIN}:
        assert MAIN in articles[slug].related


def test_every_embed_names_demo_data(articles):
    for article in articles.values():
        for kind, slug in EMBED_RE.findall(article.body):
            known = data.PRODUCTS_BY_SLUG if kind == "product" else articles
            assert slug in known, (article.slug, kind, slug)
        assert article.slug not in article.embeds("article")


def test_product_embeds_stand_on_their_own_lines(articles):
    for article in articles.values():
        for line in article.body.splitlines():
            if "[[product:" in line:
                assert re.fullmatch(r"\[\[product:[a-z0-9-]+\]\]", line.strip()), line


def test_articles_have_sections_and_red_flags(articles):
    for article in articles.values():
        assert len(h2_headings(article.body)) >= 3, article.slug
        assert warning_blocks(article.body), article.slug


def test_article_lengths(articles):
    for slug in REQUIRED_ARTICLES - {MAIN}:
        words = len(articles[slug].body.split())
        assert 300 <= words <= 600, (slug, words)


def test_every_article_has_disclaimer(articles):
    for article in articles.values():
        last_paragraph = article.body.strip().split("\n\n")[-1].lower()
        assert "not a substitute for" in last_paragraph, article.slug
        assert "general information" in last_paragraph, article.slug


# --- front-matter parser -----------------------------------------------------------------

GOOD = """---
title: A: B
summary: S
condition: muscle-spasm
author: Desk
reviewer: dr-rohan-iyer
last_reviewed: 2025-01-01
published_at: 2025-01-02T03:04:05Z
related: muscle-cramps, leg-pain-treatment
---
## Body
Text.
"""


def test_parser_accepts_good_file():
    article = parse_article(GOOD, "an-article")
    assert article.title == "A: B"
    assert article.related == ("muscle-cramps", "leg-pain-treatment")
    assert article.body.startswith("## Body")


@pytest.mark.parametrize(
    "text",
    [
        GOOD.replace("---\n", "", 1),  # no opening delimiter
        GOOD.replace("\n---\n## Body", "\n## Body"),  # not closed
        GOOD.replace("author: Desk\n", ""),  # missing key
        GOOD.replace("author: Desk\n", "author: Desk\nauthor: Other\n"),  # duplicate
        GOOD.replace("author: Desk\n", "author: Desk\ncolour: red\n"),  # unknown key
        GOOD.replace("summary: S", "summary:"),  # empty value
        GOOD.replace("2025-01-01", "01/01/2025"),  # bad date
        GOOD.replace("2025-01-02T03:04:05Z", "2025-01-02T03:04:05"),  # naive datetime
        GOOD.replace("muscle-cramps,", "Muscle Cramps,"),  # bad slug
        GOOD.replace("muscle-cramps,", "an-article,"),  # related to itself
        GOOD.replace("## Body\nText.\n", ""),  # empty body
        GOOD.replace("author: Desk", "  author: Desk"),  # not a key line
    ],
)
def test_parser_is_strict(text):
    with pytest.raises(FrontMatterError):
        parse_article(text, "an-article")


# --- catalogue ---------------------------------------------------------------------------


def test_products_count_and_categories():
    assert len(data.PRODUCTS) >= 13
    assert len({p.slug for p in data.PRODUCTS}) == len(data.PRODUCTS)
    used = {p.category for p in data.PRODUCTS}
    assert len(used) >= 3
    assert used <= set(data.CATEGORIES_BY_SLUG)
    assert {"joint-pain-oil", "joint-capsule", "hot-cold-gel-pack"} <= set(data.PRODUCTS_BY_SLUG)


def test_product_fields_filled():
    for p in data.PRODUCTS:
        for name in (
            "name",
            "short_name",
            "brand",
            "form",
            "description",
            "ingredients",
            "how_to_use",
            "warnings",
            "image_alt",
        ):
            assert getattr(p, name).strip(), (p.slug, name)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.slug)
        assert isinstance(p.gst_rate, int) and 0 <= p.gst_rate <= 28
        assert p.max_per_order >= 1
        assert p.variants
        assert set(p.conditions) <= set(data.CONDITIONS_BY_SLUG)


def test_prices_are_integer_paise_and_not_above_mrp():
    for p in data.PRODUCTS:
        for v in p.variants:
            assert type(v.mrp) is int and type(v.price) is int and type(v.stock) is int
            assert 0 < v.price <= v.mrp, v.sku
            assert v.stock > 0, v.sku


def test_joint_products_exact():
    oil = data.PRODUCTS_BY_SLUG["joint-pain-oil"]
    assert [(v.label, v.mrp, v.price) for v in oil.variants] == [("100 ml", 39900, 34900)]
    assert percent_off(39900, 34900) == 12
    assert oil.gst_rate == 12
    caps = data.PRODUCTS_BY_SLUG["joint-capsule"]
    assert [(v.label, v.mrp, v.price) for v in caps.variants] == [("60 capsules", 79900, 71900)]
    assert percent_off(79900, 71900) == 10
    assert caps.gst_rate == 12


def test_ayurvedic_products_have_12_percent_gst():
    for p in data.PRODUCTS:
        if p.category == "ayurvedic-care":
            assert p.gst_rate == 12, p.slug


def test_sale_category_has_no_joint_products():
    sale = data.SALE_CATEGORY_SLUG
    assert sale in data.CATEGORIES_BY_SLUG
    assert any(p.category == sale for p in data.PRODUCTS)
    for slug in data.JOINT_PRODUCT_SLUGS:
        assert data.PRODUCTS_BY_SLUG[slug].category != sale


def test_skus_unique():
    skus = [v.sku for p in data.PRODUCTS for v in p.variants]
    assert not [sku for sku, n in Counter(skus).items() if n > 1]


def test_exactly_one_limited_otc_product_with_doctor_warning():
    limited = [p for p in data.PRODUCTS if p.max_per_order == 2]
    assert len(limited) == 1
    assert "doctor" in limited[0].warnings.lower()
    assert "consult a doctor" in limited[0].warnings.lower()


def test_muscle_spasm_products():
    linked = {p.slug for p in data.PRODUCTS if "muscle-spasm" in p.conditions}
    assert {"joint-pain-oil", "joint-capsule", "hot-cold-gel-pack"} <= linked


def test_product_images_exist_and_are_safe_svg():
    for p in data.PRODUCTS:
        assert p.image_path == f"img/products/{p.slug}.svg"
        path = STATIC / p.image_path
        assert path.is_file(), path
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower()
        assert "href" not in text.lower() and "url(" not in text.lower()
        assert len(text) < 10_000
        root = ET.fromstring(text)
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("width") == "400" and root.get("height") == "400"
        assert root.get("viewBox") == "0 0 400 400"
        assert not any(el.tag.endswith(("script", "foreignObject", "image")) for el in root.iter())


# --- doctors and conditions ---------------------------------------------------------------


def test_doctors():
    assert sorted(d.years_experience for d in data.DOCTORS) == [3, 4, 10, 10]
    assert len({d.slug for d in data.DOCTORS}) == 4
    for d in data.DOCTORS:
        assert "muscle-spasm" in d.conditions
        assert "demo" in d.bio.lower()
        assert d.specialty and d.name


def test_conditions():
    spasm = data.CONDITIONS_BY_SLUG["muscle-spasm"]
    assert spasm.name == "Muscle spasm"
    assert spasm.summary
