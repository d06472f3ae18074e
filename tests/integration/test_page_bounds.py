"""A page past a list's cap or end answers 404 before the page's own query runs.

The product list serves at most `LIST_CAP` rows (a search `MAX_MATCHES`), so a page past
that is known to be empty without asking the database; a page past the counted end is
known after the (capped) count. Neither may pay for the OFFSET query it would not show.
"""

from __future__ import annotations

from shop.catalog import queries
from tests.factories import make_article, make_category, make_product


def _offset_queries(counter, table: str = "products") -> list[str]:
    """A page's own query: ordered, limited and offset (the capped count is not ordered)."""
    return [
        s for s in counter.statements
        if table in s and "ORDER BY" in s and "OFFSET" in s.upper()
    ]  # fmt: skip


def _product_queries(counter) -> list[str]:
    return [s for s in counter.statements if "products" in s.lower()]


def test_a_page_past_the_list_cap_is_404_before_any_product_query(
    client, db, count_queries, monkeypatch
):
    for i in range(5):
        make_product(f"p{i}", name=f"Product {i}", image=False)
    db.session.commit()
    monkeypatch.setattr(queries, "LIST_CAP", 3)
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    assert client.get("/products/?sort=price_asc&page=2").status_code == 200
    for url in ("/products/?sort=price_asc&page=3", "/products/?sort=discount&page=99999"):
        with count_queries() as counter:
            assert client.get(url).status_code == 404
        assert _product_queries(counter) == []


def test_a_search_page_past_the_match_cap_is_404_before_searching(
    client, db, count_queries, monkeypatch
):
    for i in range(6):
        make_product(f"balm-{i}", name=f"Cooling Balm {i}", image=False)
    db.session.commit()
    monkeypatch.setattr(queries, "MAX_MATCHES", 4)
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    assert client.get("/products/?q=balm&page=2").status_code == 200
    with count_queries() as counter:
        assert client.get("/products/?q=balm&page=3").status_code == 404
    assert _product_queries(counter) == []


def test_a_page_past_the_counted_end_is_404_after_the_count_without_offset(
    client, db, count_queries
):
    category = make_category()
    for i in range(30):
        make_product(f"p-{i}", category=category, image=False)
    db.session.commit()
    with count_queries() as counter:
        assert client.get("/products/?page=2").status_code == 200
    assert len(_offset_queries(counter)) == 1  # the page's ids: what the 404 must skip
    for url in ("/products/?page=3", f"/categories/{category.slug}?sort=price_desc&page=3"):
        with count_queries() as counter:
            assert client.get(url).status_code == 404
        assert _product_queries(counter), "the capped count still runs"
        assert _offset_queries(counter) == []


def test_an_article_list_page_past_the_end_is_404_without_offset(client, db, count_queries):
    make_article("one")
    db.session.commit()
    with count_queries() as counter:
        assert client.get("/articles/?page=1").status_code == 200
    assert len(_offset_queries(counter, "articles")) == 1
    with count_queries() as counter:
        assert client.get("/articles/?page=2").status_code == 404
    assert counter.statements and _offset_queries(counter, "articles") == []
