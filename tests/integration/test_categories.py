"""Category landing pages (issue 16): `/categories/` and `/categories/<slug>`, linked from
the header and the home page; `/products/?category=<slug>` keeps working."""

from __future__ import annotations

import re

from shop.cache import clear_process_caches
from tests.factories import make_category, make_product


def _names(html: str) -> list[str]:
    return re.findall(r'class="product-card-name">([^<]+)<', html)


def test_a_category_has_its_own_page_with_its_products(client, db):
    relief = make_category("pain-relief", "Pain relief")
    relief.description = "Balms, sprays and oils for aches."
    other = make_category("supplements", "Supplements")
    make_product("balm", name="Warm Balm", category=relief)
    make_product("tablets", name="Calcium Tablets", category=other)
    db.session.commit()

    html = client.get("/categories/pain-relief").get_data(as_text=True)
    assert "<h1>Pain relief</h1>" in html
    assert "Balms, sprays and oils for aches." in html
    assert _names(html) == ["Warm Balm"]
    assert 'href="/categories/supplements"' in html  # the other categories, one click away
    # the old address still lists the same products
    assert _names(client.get("/products/?category=pain-relief").get_data(as_text=True)) == [
        "Warm Balm"
    ]

    index = client.get("/categories/").get_data(as_text=True)
    assert 'href="/categories/pain-relief"' in index and 'href="/categories/supplements"' in index


def test_categories_are_reachable_from_the_header_and_the_home_page(client, db):
    make_category("pain-relief", "Pain relief")
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    header = home[home.index('<header class="site-header">') : home.index("</header>")]
    assert 'href="/categories/"' in header
    main = home[home.index('<main id="main"') :]
    assert 'href="/categories/pain-relief"' in main


def test_unknown_category_and_bad_arguments_are_clear_4xx(client, db):
    make_category("pain-relief", "Pain relief")
    db.session.commit()
    assert client.get("/categories/nope").status_code == 404
    assert client.get("/categories/pain-relief?sort=cheapest").status_code == 400
    assert client.get("/categories/pain-relief?page=0").status_code == 400
    assert client.get("/categories/pain-relief?page=9").status_code == 404


def test_category_page_query_count_does_not_grow_with_products(client, db, count_queries):
    category = make_category("c")
    make_product("first", category=category)
    db.session.commit()

    def queries() -> int:
        clear_process_caches(client.application)
        with count_queries() as counter:
            assert client.get("/categories/c").status_code == 200
        return counter.count

    one = queries()
    for i in range(12):
        make_product(f"more-{i}", category=category)
    db.session.commit()
    assert queries() == one
    assert one <= 9  # empty process caches: includes reading the pricing rules (3)
