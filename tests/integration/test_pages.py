"""Every storefront page, its happy path and its bad input, on the test database."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    make_article,
    make_category,
    make_condition,
    make_doctor,
    make_product,
)


@pytest.fixture()
def shop_data(db):
    """A condition with an article embedding two products, related reading and doctors."""
    joints = make_category("joint-care", "Joint care")
    oil = make_product(
        "joint-pain-oil", name="Joint Pain Oil", category=joints, mrp=39900, price=34900
    )
    capsule = make_product(
        "joint-capsule", name="Joint Capsules", category=joints, mrp=79900, price=71900
    )
    condition = make_condition("muscle-spasm", "Muscle spasm")
    oil.conditions.append(condition)
    doctors = [make_doctor(years=y, conditions=[condition]) for y in (3, 10, 10, 4)]
    others = [
        make_article(f"other-{i}", title=f"Other reading {i}", condition=condition)
        for i in range(4)
    ]
    body = (
        "Intro text.\n\n## Symptoms\n\nPain.\n\n:::warning\n- Loss of bladder control\n:::\n\n"
        "## Treatment\n\nRest, and see [[article:other-1]].\n\n"
        "[[product:joint-pain-oil]]\n\n[[product:joint-capsule]]\n\n[[product:no-such-thing]]\n"
    )
    article = make_article(
        "muscle-spasm-in-back",
        title="Muscle Spasm in Back",
        body=body,
        condition=condition,
        related=others,
        reviewer=doctors[0],
    )
    db.session.commit()
    return {
        "oil": oil,
        "capsule": capsule,
        "article": article,
        "condition": condition,
        "doctors": doctors,
        "category": joints,
    }


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_home_lists_articles_and_products(client, shop_data):
    response = client.get("/")
    assert response.status_code == 200
    html = text_of(response)
    assert "Muscle Spasm in Back" in html
    assert "Joint Capsules" in html


def test_article_page_shows_toc_callout_cards_read_more_and_doctors(client, shop_data):
    response = client.get("/articles/muscle-spasm-in-back")
    assert response.status_code == 200
    html = text_of(response)
    assert '<a href="#symptoms">Symptoms</a>' in html
    assert 'id="symptoms"' in html and 'id="treatment"' in html
    assert "callout-warning" in html and "See a doctor immediately if" in html
    # live product cards: MRP struck through, price, % OFF, add-to-cart form
    assert html.count('class="product-card product-card-embed"') == 2
    assert "₹349" in html and "₹399" in html and "12% OFF" in html
    assert "₹719" in html and "₹799" in html and "10% OFF" in html
    assert html.count('action="/cart/add"') == 2
    assert f'name="variant_id" value="{shop_data["oil"].variants[0].id}"' in html
    assert 'name="quantity"' in html
    assert 'name="ref" value="muscle-spasm-in-back"' in html
    assert re.search(r'name="csrf_token" value="[^"]{20,}"', html)
    # the unknown embed renders as nothing, the article link resolves
    assert "no-such-thing" not in html
    assert '<a href="/articles/other-1">Other reading 1</a>' in html
    # read more, doctors, disclaimer
    for i in range(4):
        assert f'href="/articles/other-{i}"' in html
    assert "Doctors for Muscle spasm" in html
    assert html.count("years of experience") == 4
    assert "not a substitute for professional medical advice" in html


def test_unpublished_article_is_404(client, db):
    make_article("draft", published=False)
    db.session.commit()
    assert client.get("/articles/draft").status_code == 404


def test_article_list_paginates(client, db):
    for i in range(25):
        make_article(f"a-{i}")
    db.session.commit()
    assert client.get("/articles/").status_code == 200
    page2 = client.get("/articles/?page=2")
    assert page2.status_code == 200
    assert text_of(page2).count('<li>\n    <a href="/articles/') == 1
    assert client.get("/articles/?page=3").status_code == 404


def test_condition_page_lists_articles_products_and_doctors(client, shop_data):
    html = text_of(client.get("/conditions/muscle-spasm"))
    assert "Muscle Spasm in Back" in html
    assert "Joint Pain Oil" in html
    assert "Doctors for Muscle spasm" in html


def test_product_page_shows_prices_stock_warnings_and_form(client, db):
    product = make_product(
        "relief-gel",
        name="Relief Gel",
        max_per_order=2,
        warnings="Consult a doctor before use if you are pregnant.",
        variants=[
            {"label": "30 g", "mrp": 19900, "price": 17900, "stock": 3},
            {"label": "60 g", "mrp": 34950, "price": 34950, "stock": 0},
        ],
    )
    db.session.commit()
    response = client.get("/products/relief-gel")
    assert response.status_code == 200
    html = text_of(response)
    assert "Relief Gel" in html
    assert "₹179" in html and "₹199" in html and "10% OFF" in html
    assert "₹349.50" in html
    assert "Only 3 left" in html and "Out of stock" in html
    assert "Consult a doctor before use" in html
    assert html.count('action="/cart/add"') == 1  # the sold-out variant has no form
    assert f'name="variant_id" value="{product.variants[0].id}"' in html
    assert 'max="2"' in html
    assert 'width="400" height="400"' in html


def test_inactive_product_is_404(client, db):
    make_product("hidden", active=False)
    db.session.commit()
    assert client.get("/products/hidden").status_code == 404


def test_product_list_filters_sorts_and_paginates(client, db):
    cheap = make_category("cheap", "Cheap things")
    make_product("a", name="Alpha Balm", mrp=10000, price=5000, category=cheap)
    make_product("b", name="Beta Oil", mrp=30000, price=29000)
    make_product("c", name="Gamma Caps", mrp=20000, price=15000)
    db.session.commit()

    def names(url):
        html = text_of(client.get(url))
        return re.findall(r'class="product-card-name">([^<]+)<', html)

    assert names("/products/?sort=price_asc") == ["Alpha Balm", "Gamma Caps", "Beta Oil"]
    assert names("/products/?sort=price_desc") == ["Beta Oil", "Gamma Caps", "Alpha Balm"]
    assert names("/products/?sort=discount") == ["Alpha Balm", "Gamma Caps", "Beta Oil"]
    assert names("/products/?sort=newest") == ["Gamma Caps", "Beta Oil", "Alpha Balm"]
    assert names("/products/?category=cheap") == ["Alpha Balm"]


def test_product_list_has_24_per_page_and_404_past_the_end(client, db):
    category = make_category()
    for i in range(30):
        make_product(f"p-{i}", category=category, image=False)
    db.session.commit()
    first = text_of(client.get("/products/"))
    assert first.count('class="product-card"') == 24
    assert "30 products" in first
    second = text_of(client.get("/products/?page=2"))
    assert second.count('class="product-card"') == 6
    assert client.get("/products/?page=3").status_code == 404


def test_doctor_pages(client, shop_data):
    html = text_of(client.get("/doctors/"))
    assert html.count("years of experience") == 4
    doctor = shop_data["doctors"][0]
    page = client.get(f"/doctors/{doctor.slug}")
    assert page.status_code == 200
    assert "3 years of experience" in text_of(page)
    assert "Muscle Spasm in Back" in text_of(page)  # articles they reviewed


def test_search_page_finds_articles_and_products(client, shop_data):
    html = text_of(client.get("/search?q=joint"))
    assert "Joint Pain Oil" in html
    empty = client.get("/search")
    assert empty.status_code == 200


def test_sitemap_and_robots(client, shop_data):
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200
    assert sitemap.mimetype == "application/xml"
    body = text_of(sitemap)
    assert "<loc>http://shop.test/articles/muscle-spasm-in-back</loc>" in body
    assert "<loc>http://shop.test/products/joint-capsule</loc>" in body
    assert "<loc>http://shop.test/conditions/muscle-spasm</loc>" in body
    robots = client.get("/robots.txt")
    assert robots.mimetype == "text/plain"
    assert "Sitemap: http://shop.test/sitemap.xml" in text_of(robots)
    assert "Disallow: /staff/" in text_of(robots)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "url",
    [
        "/articles/no-such-article",
        "/conditions/no-such-condition",
        "/products/no-such-product",
        "/doctors/no-such-doctor",
        "/products/?category=no-such-category",
        "/no/such/page",
    ],
)
def test_unknown_things_are_404_pages(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in text_of(response)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/products/?sort=cheapest", "must be one of"),
        ("/products/?sort=", "must be one of"),
        ("/products/?page=0", "whole number"),
        ("/products/?page=-1", "whole number"),
        ("/products/?page=abc", "whole number"),
        ("/products/?page=1.5", "whole number"),
        ("/products/?page=%EF%BC%91", "whole number"),  # a full-width digit
        ("/products/?page=99999999999999999999", "whole number"),
        ("/articles/?page=0", "whole number"),
        ("/products/?q=" + "x" * 201, "at most 200"),
        ("/search?q=" + "x" * 201, "at most 200"),
        ("/search?q=a%00b", "Control characters are not allowed"),
    ],
)
def test_bad_list_input_is_400_with_a_message(client, url, message):
    response = client.get(url)
    assert response.status_code == 400
    assert message in text_of(response)


def test_hostile_search_text_never_500s(client, shop_data):
    for q in ['"', "*", "AND OR", "NEAR(", "'; DROP TABLE products; --", "名前", "💊", "%_"]:
        assert client.get("/products/", query_string={"q": q}).status_code == 200
        assert client.get("/search", query_string={"q": q}).status_code == 200


def test_security_headers_on_pages(client, shop_data):
    response = client.get("/articles/muscle-spasm-in-back")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "<script>" not in text_of(response)  # no inline script anywhere
