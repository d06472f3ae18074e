"""Search engines: JSON-LD per page type, canonical and share tags, sitemap index, 301s."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from shop import sitemap
from shop.catalog.models import Product
from shop.content.models import Article, Condition, Doctor
from shop.redirects import SlugRedirect
from tests.factories import (
    make_article,
    make_category,
    make_condition,
    make_doctor,
    make_product,
    make_user,
)
from tests.helpers import log_in
from tests.integration.test_staff_catalog import form_data
from tests.integration.test_staff_content import article_fields, doctor_fields

BASE = "http://shop.test"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def json_ld(html: str) -> list[dict]:
    """Every JSON-LD block of a page, parsed; the raw text never holds `<`, `>` or `&`."""
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    for raw in blocks:
        assert "<" not in raw and ">" not in raw and "&" not in raw
    return [json.loads(raw) for raw in blocks]


def of_type(blocks: list[dict], type_: str) -> dict:
    (found,) = [b for b in blocks if b["@type"] == type_]
    assert found["@context"] == "https://schema.org"
    return found


def meta(html: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)
    return found.group(1) if found else None


def canonical(html: str) -> str:
    (link,) = re.findall(r'<link rel="canonical" href="([^"]*)">', html)
    return link


def crumbs(blocks: list[dict]) -> list[tuple[str, str]]:
    trail = of_type(blocks, "BreadcrumbList")["itemListElement"]
    assert [item["position"] for item in trail] == list(range(1, len(trail) + 1))
    return [(item["name"], item["item"]) for item in trail]


@pytest.fixture()
def staff(client, db):
    make_user("seo-staff@example.com", role="staff")
    db.session.commit()
    client.token = log_in(client, "seo-staff@example.com")
    return client


# --- structured data -----------------------------------------------------------------------


def test_article_is_a_medical_web_page_about_its_condition_reviewed_by_the_doctor(client, db):
    condition = make_condition("muscle-spasm", "Muscle spasm")
    doctor = make_doctor("dr-rao")
    article = make_article("back-spasm", title="Back spasm", condition=condition, reviewer=doctor)
    article.summary = "Why."
    db.session.commit()
    html = client.get("/articles/back-spasm?utm_source=news").get_data(as_text=True)
    blocks = json_ld(html)
    page = of_type(blocks, "MedicalWebPage")
    assert page["name"] == "Back spasm" and page["url"] == f"{BASE}/articles/back-spasm"
    assert page["about"] == {
        "@type": "MedicalCondition",
        "name": "Muscle spasm",
        "url": f"{BASE}/conditions/muscle-spasm",
    }
    assert page["author"] == {"@type": "Person", "name": "Remedy Shop editors"}
    assert page["reviewedBy"]["@type"] == "Physician"
    assert page["reviewedBy"]["name"] == doctor.name
    assert page["reviewedBy"]["url"] == f"{BASE}/doctors/dr-rao"
    assert page["lastReviewed"] == "2026-10-01"
    assert page["dateModified"].startswith("20")
    assert crumbs(blocks) == [
        ("Home", f"{BASE}/"),
        ("Articles", f"{BASE}/articles/"),
        ("Muscle spasm", f"{BASE}/conditions/muscle-spasm"),
        ("Back spasm", f"{BASE}/articles/back-spasm"),
    ]
    assert canonical(html) == f"{BASE}/articles/back-spasm"
    assert meta(html, "og:type") == "article"
    assert meta(html, "og:title") == "Back spasm"
    assert meta(html, "og:description") == "Why."
    assert meta(html, "og:url") == f"{BASE}/articles/back-spasm"
    assert meta(html, "description") == "Why."
    assert meta(html, "twitter:card") == "summary"
    assert "<title>Back spasm · Remedy Shop</title>" in html


def test_product_has_brand_sku_images_and_offers_in_rupees_with_the_mrp(client, db):
    category = make_category("oils", "Oils")
    product = make_product(
        "joint-oil",
        name="Joint Oil",
        category=category,
        variants=[
            {"sku": "JO-100", "mrp": 79900, "price": 71900, "stock": 4},
            {"sku": "JO-200", "mrp": 129950, "price": 129950, "stock": 0},
        ],
    )
    product.brand = "Ayur Labs"
    db.session.commit()
    html = client.get("/products/joint-oil").get_data(as_text=True)
    blocks = json_ld(html)
    data = of_type(blocks, "Product")
    assert data["name"] == "Joint Oil" and data["sku"] == "JO-100"
    assert data["brand"] == {"@type": "Brand", "name": "Ayur Labs"}
    assert data["image"] and all(url.startswith(BASE + "/") for url in data["image"])
    first, second = data["offers"]
    assert first["@type"] == "Offer" and first["sku"] == "JO-100"
    assert (first["price"], first["priceCurrency"]) == ("719.00", "INR")
    assert first["availability"] == "https://schema.org/InStock"
    assert first["priceSpecification"] == {
        "@type": "UnitPriceSpecification",
        "priceType": "https://schema.org/StrikethroughPrice",
        "price": "799.00",
        "priceCurrency": "INR",
    }
    assert second["price"] == "1299.50"
    assert second["availability"] == "https://schema.org/OutOfStock"
    assert crumbs(blocks) == [
        ("Home", f"{BASE}/"),
        ("Products", f"{BASE}/products/"),
        ("Oils", f"{BASE}/products/?category=oils"),
        ("Joint Oil", f"{BASE}/products/joint-oil"),
    ]
    assert meta(html, "og:type") == "product"
    assert meta(html, "og:image") == data["image"][0]
    assert meta(html, "twitter:card") == "summary_large_image"


def test_a_script_end_tag_in_a_product_name_cannot_break_out(client, db):
    name = "Oil </script><script>alert(1)</script> & <b>'more'</b>"
    make_product("tricky", name=name)
    db.session.commit()
    html = client.get("/products/tricky").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    data = of_type(json_ld(html), "Product")
    assert data["name"] == name  # escaped for HTML, the same text for a JSON parser
    assert "\\u003c/script\\u003e" in html


def test_doctor_is_a_physician_and_condition_a_page_about_it(client, db):
    condition = make_condition("muscle-spasm", "Muscle spasm")
    doctor = make_doctor("dr-rao", conditions=[condition])
    db.session.commit()
    blocks = json_ld(client.get("/doctors/dr-rao").get_data(as_text=True))
    physician = of_type(blocks, "Physician")
    assert physician["name"] == doctor.name and physician["url"] == f"{BASE}/doctors/dr-rao"
    assert physician["medicalSpecialty"] == "Orthopaedics"
    assert physician["knowsAbout"] == [{"@type": "MedicalCondition", "name": "Muscle spasm"}]
    assert crumbs(blocks)[-1] == (doctor.name, f"{BASE}/doctors/dr-rao")

    blocks = json_ld(client.get("/conditions/muscle-spasm").get_data(as_text=True))
    assert of_type(blocks, "MedicalWebPage")["about"]["name"] == "Muscle spasm"
    assert crumbs(blocks) == [
        ("Home", f"{BASE}/"),
        ("Muscle spasm", f"{BASE}/conditions/muscle-spasm"),
    ]


def test_home_is_the_organization_and_a_website_with_a_search_action(client, db):
    html = client.get("/?utm_medium=email&gclid=x").get_data(as_text=True)
    blocks = json_ld(html)
    assert of_type(blocks, "Organization")["url"] == f"{BASE}/"
    site = of_type(blocks, "WebSite")
    action = site["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == f"{BASE}/search?q={{search_term_string}}"
    assert action["query-input"] == "required name=search_term_string"
    assert canonical(html) == f"{BASE}/"
    assert meta(html, "og:type") == "website"


# --- canonical URLs --------------------------------------------------------------------------


def test_canonical_keeps_only_the_parameters_that_name_a_page(client, db):
    make_product("p1", category=make_category("oils"))
    db.session.commit()
    html = client.get(
        "/products/?utm_source=a&utm_campaign=b&category=oils&page=1&fbclid=z"
    ).get_data(as_text=True)
    assert canonical(html) == f"{BASE}/products/?category=oils"
    assert meta(html, "og:url") == f"{BASE}/products/?category=oils"
    assert canonical(client.get("/articles/?utm_source=x").get_data(as_text=True)) == (
        f"{BASE}/articles/"
    )


def test_the_csp_allows_json_ld_data_blocks_and_still_no_inline_script(client, db):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    # JSON-LD is a data block (a non-JavaScript type): browsers never run it, so CSP
    # has nothing to allow; every other script on the page is a file from 'self'.
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all('type="application/ld+json"' in attrs or "src=" in attrs for attrs in scripts)


# --- sitemap -------------------------------------------------------------------------------


def _locs(xml: str, tag: str) -> list[ElementTree.Element]:
    return ElementTree.fromstring(xml).findall(f"{SM}{tag}")


def test_small_sitemap_is_one_file_with_lastmod(client, db):
    make_product("p1")
    make_article("a1")
    db.session.commit()
    urls = _locs(client.get("/sitemap.xml").get_data(as_text=True), "url")
    by_loc = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in urls}
    assert by_loc[f"{BASE}/products/p1"].startswith("20")
    assert by_loc[f"{BASE}/articles/a1"].startswith("20")
    assert f"{BASE}/" in by_loc


def test_past_the_limit_the_sitemap_is_an_index_of_files_within_it(client, db, monkeypatch):
    for i in range(7):
        make_product(f"product-{i}")
    for i in range(2):
        make_article(f"article-{i}")
    make_condition("spasm")
    make_doctor("dr-one")
    db.session.commit()
    whole = {u.findtext(f"{SM}loc") for u in _locs(client.get("/sitemap.xml").text, "url")}
    assert len(whole) == 6 + 7 + 7 + 2 + 1 + 1  # each made product has its own category

    monkeypatch.setattr(sitemap, "LIMIT", 3)
    index = client.get("/sitemap.xml")
    assert index.mimetype == "application/xml"
    children = _locs(index.text, "sitemap")
    locs = [c.findtext(f"{SM}loc") for c in children]
    assert locs == [
        f"{BASE}/sitemap-pages-1.xml",
        f"{BASE}/sitemap-articles-1.xml",
        f"{BASE}/sitemap-conditions-1.xml",
        f"{BASE}/sitemap-categories-1.xml",
        f"{BASE}/sitemap-categories-2.xml",
        f"{BASE}/sitemap-categories-3.xml",
        f"{BASE}/sitemap-products-1.xml",
        f"{BASE}/sitemap-products-2.xml",
        f"{BASE}/sitemap-products-3.xml",
        f"{BASE}/sitemap-doctors-1.xml",
    ]
    lastmods = {c.findtext(f"{SM}loc"): c.findtext(f"{SM}lastmod") for c in children}
    assert lastmods[f"{BASE}/sitemap-products-3.xml"].startswith("20")
    assert lastmods[f"{BASE}/sitemap-doctors-1.xml"] is None

    seen: list[str] = []
    for loc in locs:
        part = client.get(loc.removeprefix(BASE))
        assert part.status_code == 200
        urls = [u.findtext(f"{SM}loc") for u in _locs(part.text, "url")]
        assert 1 <= len(urls) <= 6 if "pages" in loc else 1 <= len(urls) <= 3
        seen += urls
    assert sorted(seen) == sorted(whole)  # every URL once, none lost between files

    for missing in ("/sitemap-products-4.xml", "/sitemap-bogus-1.xml", "/sitemap-products-0.xml"):
        assert client.get(missing).status_code == 404


def test_category_landing_pages_and_help_pages_are_in_the_sitemap(client, db, monkeypatch):
    from shop.help.models import HelpPage

    make_category("pain-relief", name="Pain relief")
    make_category("joint-care", name="Joint care")
    db.session.add(HelpPage(slug="grievance-officer", title="Grievance officer"))
    db.session.add(HelpPage(slug="returns-and-refunds", title="Returns and refunds"))
    db.session.add(HelpPage(slug="retired-page", title="No longer in the footer"))
    db.session.commit()

    urls = _locs(client.get("/sitemap.xml").text, "url")
    by_loc = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in urls}
    for path in ("/categories/", "/categories/pain-relief", "/categories/joint-care", "/help/"):
        assert f"{BASE}{path}" in by_loc
        assert client.get(path).status_code == 200  # every URL listed is a page
    for slug in ("grievance-officer", "returns-and-refunds"):
        assert by_loc[f"{BASE}/help/{slug}"].startswith("20")  # lastmod: its last edit
        assert client.get(f"/help/{slug}").status_code == 200
    assert f"{BASE}/help/retired-page" not in by_loc  # not served, so not listed

    monkeypatch.setattr(sitemap, "LIMIT", 1)
    locs = [c.findtext(f"{SM}loc") for c in _locs(client.get("/sitemap.xml").text, "sitemap")]
    assert f"{BASE}/sitemap-categories-2.xml" in locs and f"{BASE}/sitemap-help-2.xml" in locs
    assert f"{BASE}/sitemap-help-3.xml" not in locs
    part = _locs(client.get("/sitemap-help-2.xml").text, "url")
    assert [u.findtext(f"{SM}loc") for u in part] == [f"{BASE}/help/returns-and-refunds"]


# --- redirects after a rename ----------------------------------------------------------------


def _follow(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 301, (url, response.status_code)
    return response.headers["Location"].removeprefix(BASE)


def test_renamed_article_redirects_and_chains_collapse(staff, client, db):
    article = make_article("back-pain", title="Back Pain Basics")
    db.session.commit()
    assert client.get("/articles/back-pain").status_code == 200
    url = f"/staff/articles/{article.id}"
    fields = article_fields(slug="back-pain-guide", title="Back Pain Basics")
    assert staff.post(url, data={"csrf_token": staff.token, **fields}).status_code == 303
    assert _follow(client, "/articles/back-pain") == "/articles/back-pain-guide"
    assert client.get("/articles/back-pain-guide").status_code == 200

    fields = article_fields(slug="back-pain-2026", title="Back Pain Basics")
    assert staff.post(url, data={"csrf_token": staff.token, **fields}).status_code == 303
    assert _follow(client, "/articles/back-pain") == "/articles/back-pain-2026"
    assert _follow(client, "/articles/back-pain-guide") == "/articles/back-pain-2026"

    # Renaming back to an old slug: that slug is live again, the others lead to it.
    fields = article_fields(slug="back-pain", title="Back Pain Basics")
    assert staff.post(url, data={"csrf_token": staff.token, **fields}).status_code == 303
    assert client.get("/articles/back-pain").status_code == 200
    assert _follow(client, "/articles/back-pain-2026") == "/articles/back-pain"
    assert (
        db.session.scalar(select(SlugRedirect).where(SlugRedirect.old_slug == "back-pain")) is None
    )


def test_a_new_item_taking_an_old_slug_wins_over_the_redirect(staff, client, db):
    article = make_article("cramps", title="Cramps")
    db.session.commit()
    fields = article_fields(slug="leg-cramps", title="Cramps")
    staff.post(f"/staff/articles/{article.id}", data={"csrf_token": staff.token, **fields})
    assert _follow(client, "/articles/cramps") == "/articles/leg-cramps"
    make_article("cramps", title="Cramps in general")
    db.session.commit()
    page = client.get("/articles/cramps")
    assert page.status_code == 200 and "Cramps in general" in page.text


def test_renamed_product_condition_and_doctor_redirect(staff, client, db):
    product = make_product("calm-tea", name="Calm Tea")
    condition = make_condition("back-pain", "Back pain")
    doctor = make_doctor("dr-meera-rao")
    db.session.commit()
    data = form_data(product) | {"slug": "calm-night-tea", "csrf_token": staff.token}
    assert staff.post(f"/staff/products/{product.id}", data=data).status_code == 303
    condition_data = {"slug": "lower-back-pain", "name": "Back pain", "summary": "About."}
    response = staff.post(
        f"/staff/conditions/{condition.id}", data={"csrf_token": staff.token, **condition_data}
    )
    assert response.status_code == 303
    response = staff.post(
        f"/staff/doctors/{doctor.id}",
        data={"csrf_token": staff.token, **doctor_fields(slug="dr-rao")},
    )
    assert response.status_code == 303
    assert _follow(client, "/products/calm-tea") == "/products/calm-night-tea"
    assert _follow(client, "/conditions/back-pain") == "/conditions/lower-back-pain"
    assert _follow(client, "/doctors/dr-meera-rao") == "/doctors/dr-rao"
    kinds = db.session.scalars(select(SlugRedirect.kind).order_by(SlugRedirect.kind)).all()
    assert kinds == ["condition", "doctor", "product"]


def test_an_old_slug_of_a_hidden_item_or_a_stranger_is_404(staff, client, db):
    article = make_article("old-name")
    db.session.commit()
    fields = article_fields(slug="new-name", title=article.title)
    staff.post(f"/staff/articles/{article.id}", data={"csrf_token": staff.token, **fields})
    db.session.execute(
        Article.__table__.update().where(Article.id == article.id).values(published=False)
    )
    db.session.commit()
    assert client.get("/articles/old-name").status_code == 404
    assert client.get("/articles/never-was").status_code == 404
    assert client.get("/products/old-name").status_code == 404  # kinds do not mix


def test_a_page_that_exists_never_reads_the_redirects(client, db, count_queries):
    make_article("here")
    make_product("there")
    db.session.add(SlugRedirect(kind="article", old_slug="gone", target_id=1))
    db.session.commit()
    for url in ("/articles/here", "/products/there"):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        assert not any("slug_redirects" in s for s in counter.statements)


def test_models_used_for_redirects_are_the_four_kinds():
    from shop.redirects import KINDS

    assert {kind: spec[0] for kind, spec in KINDS.items()} == {
        "article": Article,
        "product": Product,
        "condition": Condition,
        "doctor": Doctor,
    }


def test_a_60000_product_catalogue_gets_an_index_of_two_product_files(client, db):
    category = make_category("bulk")
    db.session.commit()
    rows = [
        {"slug": f"bulk-{i:05d}", "name": f"Bulk {i}", "category_id": category.id}
        for i in range(60_000)
    ]
    db.session.execute(Product.__table__.insert(), rows)  # one executemany: fast on both
    db.session.commit()
    children = _locs(client.get("/sitemap.xml").text, "sitemap")
    products = [c for c in children if "products" in c.findtext(f"{SM}loc")]
    assert [c.findtext(f"{SM}loc") for c in products] == [
        f"{BASE}/sitemap-products-1.xml",
        f"{BASE}/sitemap-products-2.xml",
    ]
    assert all(c.findtext(f"{SM}lastmod").startswith("20") for c in products)
    first = _locs(client.get("/sitemap-products-1.xml").text, "url")
    second = _locs(client.get("/sitemap-products-2.xml").text, "url")
    assert (len(first), len(second)) == (50_000, 10_000)
    assert second[-1].findtext(f"{SM}loc") == f"{BASE}/products/bulk-59999"
