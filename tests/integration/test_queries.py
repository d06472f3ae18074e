"""Storefront pages run a fixed number of SQL queries whatever they show (SPEC §9)."""

from __future__ import annotations

from shop.cache import clear_process_caches
from tests.factories import make_article, make_category, make_product


def _queries_for(client, count_queries, url) -> int:
    """Statements of one request that renders the page (the page cache emptied first, so
    the count includes the content version's read and the whole render)."""
    clear_process_caches(client.application)
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_product_list_query_count_is_the_same_for_1_and_24_products(client, db, count_queries):
    category = make_category("c")
    make_product("only-one", category=category)
    db.session.commit()
    one = _queries_for(client, count_queries, "/products/")
    for i in range(23):
        make_product(
            f"more-{i}",
            category=category,
            variants=[{"mrp": 1000, "price": 900}, {"mrp": 2000, "price": 1500}],
        )
    db.session.commit()
    many = _queries_for(client, count_queries, "/products/")
    assert many == one
    assert one <= 8  # empty process caches: includes reading the pricing rules (3)


def test_article_query_count_is_the_same_with_0_and_3_embeds(client, db, count_queries):
    for i in range(3):
        make_product(f"embed-{i}")
    related = [make_article(f"rel-{i}") for i in range(2)]
    make_article("plain", body="## One\n\nText.\n", related=related)
    embeds = "\n\n".join(f"[[product:embed-{i}]]" for i in range(3))
    make_article("with-embeds", body=f"## One\n\nText.\n\n{embeds}\n", related=related)
    db.session.commit()
    plain = _queries_for(client, count_queries, "/articles/plain")
    embedded = _queries_for(client, count_queries, "/articles/with-embeds")
    assert embedded == plain
    assert plain <= 9  # empty process caches: includes reading the pricing rules (3)


def test_product_page_query_count_does_not_grow_with_variants(client, db, count_queries):
    make_product("one-variant")
    make_product(
        "five-variants",
        variants=[{"mrp": 1000 * (i + 1), "price": 900 * (i + 1)} for i in range(5)],
    )
    db.session.commit()
    assert _queries_for(client, count_queries, "/products/one-variant") == _queries_for(
        client, count_queries, "/products/five-variants"
    )


def test_cart_page_query_count_does_not_grow_with_lines(client, db, count_queries):
    from tests.conftest import csrf_token_for

    variants = [make_product(f"cart-{i}").variants[0] for i in range(6)]
    db.session.commit()
    token = csrf_token_for(client)

    def add(variant):
        client.post(
            "/cart/add", data={"csrf_token": token, "variant_id": variant.id, "quantity": "1"}
        )

    add(variants[0])
    client.get("/cart")  # let the first view acknowledge its prices
    one = _queries_for(client, count_queries, "/cart")
    for variant in variants[1:]:
        add(variant)
    client.get("/cart")
    six = _queries_for(client, count_queries, "/cart")
    assert six == one, (one, six)
    assert one >= 2  # the cart with its lines, and the pricing rules' version
