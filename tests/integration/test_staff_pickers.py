"""Back office type-ahead: the JSON behind the pickers, and the slug fields they fill."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.content.models import Article
from shop.staff.pickers import PICK_LIMIT
from tests.factories import make_article, make_product, make_user
from tests.helpers import audits, log_in, post
from tests.integration.test_staff_content import article_fields

URLS = ["/staff/pick/products?q=balm", "/staff/pick/articles?q=cramps"]


@pytest.fixture()
def staff(client, db):
    make_user("picker@example.com", role="staff")
    db.session.commit()
    client.token = log_in(client, "picker@example.com")
    return client


def results(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["results"]


@pytest.mark.parametrize("url", URLS)
def test_pickers_are_for_staff_only(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    make_user("shopper@example.com")
    db.session.commit()
    log_in(client, "shopper@example.com")
    assert client.get(url).status_code == 403


def test_products_are_found_by_name_and_by_exact_slug_first(staff, db):
    make_product("muscle-relief-balm", name="Muscle Relief Balm")
    make_product("cooling-balm", name="Cooling Balm", active=False)
    make_product("balm", name="Plain Ointment")
    make_product("joint-capsule", name="Joint Care Capsules")
    db.session.commit()
    found = results(staff, "/staff/pick/products?q=balm")
    assert found[0] == {"slug": "balm", "name": "Plain Ointment"}  # the slug typed exactly
    assert {"slug": "cooling-balm", "name": "Cooling Balm (inactive)"} in found
    assert {r["slug"] for r in found} == {"balm", "muscle-relief-balm", "cooling-balm"}
    assert [r["slug"] for r in results(staff, "/staff/pick/products?q=join")] == ["joint-capsule"]
    assert results(staff, "/staff/pick/products?q=JOINT-CAPSULE")[0]["slug"] == "joint-capsule"


def test_results_are_limited_and_cost_a_fixed_number_of_queries(staff, db, count_queries):
    for n in range(PICK_LIMIT + 15):
        make_product(f"herbal-tea-{n}", name=f"Herbal Tea {n}")
    db.session.commit()
    with count_queries() as few:
        assert len(results(staff, "/staff/pick/products?q=herbal")) == PICK_LIMIT
    with count_queries() as many:
        assert len(results(staff, "/staff/pick/products?q=tea 3")) >= 1
    assert few.count == many.count


def test_articles_are_found_with_drafts_marked(staff, db):
    make_article("muscle-cramps", title="Muscle Cramps")
    make_article("night-cramps", title="Night Cramps", published=False)
    db.session.commit()
    found = results(staff, "/staff/pick/articles?q=cramps")
    assert {"slug": "night-cramps", "name": "Night Cramps (draft)"} in found
    assert results(staff, "/staff/pick/articles?q=muscle-cramps")[0]["slug"] == "muscle-cramps"


@pytest.mark.parametrize("q", ["", "   ", "%", "' OR 1=1 --", "**", "a:b"])
def test_empty_or_odd_text_finds_nothing_and_never_fails(staff, db, q):
    make_product("muscle-relief-balm", name="Muscle Relief Balm")
    db.session.commit()
    assert results(staff, "/staff/pick/products?q=" + q) == []
    assert results(staff, "/staff/pick/articles?q=" + q) == []


def test_too_long_text_is_400(staff, db):
    response = staff.get("/staff/pick/products?q=" + "a" * 101)
    assert response.status_code == 400 and "at most 100" in response.get_json()["error"]


# --- the related-articles field takes slugs -----------------------------------------------------


def test_related_articles_are_named_by_slug_and_shown_back_as_slugs(staff, db):
    cramps = make_article("muscle-cramps", title="Muscle Cramps")
    make_article("back-pain", title="Back Pain")
    db.session.commit()
    response = post(
        staff, "/staff/articles/new", **article_fields(related="back-pain, muscle-cramps")
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    article = db.session.scalars(select(Article).where(Article.slug == "back-pain-basics")).one()
    assert [a.slug for a in article.related] == ["back-pain", "muscle-cramps"]
    page = staff.get(f"/staff/articles/{article.id}").get_data(as_text=True)
    assert re.search(r'name="related"[^>]*value="back-pain, muscle-cramps"', page)
    # Numbers that name an article's id (the old multi-select's posts) still work.
    response = post(
        staff,
        f"/staff/articles/{article.id}",
        **article_fields(related=str(cramps.id)),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [a.slug for a in db.session.get(Article, article.id).related] == ["muscle-cramps"]


@pytest.mark.parametrize(
    ("related", "message"),
    [
        ("muscle-cramps, no-such-article", "No article has the slug: no-such-article."),
        ("Muscle Cramps", "No article has the slug: Muscle, Cramps."),
        ("999999999", "No article has the slug: 999999999."),
        (", ".join(f"a-{n}" for n in range(51)), "at most 50 related articles"),
    ],
)
def test_unknown_related_slugs_are_422_and_write_nothing(staff, db, related, message):
    make_article("muscle-cramps", title="Muscle Cramps")
    db.session.commit()
    response = post(staff, "/staff/articles/new", **article_fields(related=related))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert audits(db, "article") == []
    assert db.session.scalars(select(Article.slug)).all() == ["muscle-cramps"]


def test_the_editor_carries_the_pickers_without_inline_script(staff, db):
    make_article("muscle-cramps", title="Muscle Cramps")
    db.session.commit()
    response = staff.get("/staff/articles/new")
    html = response.get_data(as_text=True)
    assert 'data-picker-url="/staff/pick/products"' in html
    assert 'data-picker-url="/staff/pick/articles"' in html
    assert 'data-picker-mode="embed" data-picker-target="body"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert staff.get("/static/js/picker.js").status_code == 200
