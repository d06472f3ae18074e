"""Cached pages stay per-visitor where they must and go stale the moment staff edit."""

from __future__ import annotations

import re
from http.cookiejar import CookieJar
from urllib.request import HTTPCookieProcessor, build_opener

import pytest

from shop.cache import content_version
from tests.factories import make_article, make_product


@pytest.fixture()
def caching(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    app.extensions["page_cache"].clear()
    yield
    app.extensions["page_cache"].clear()


@pytest.fixture()
def article_with_card(db):
    product = make_product("joint-capsule", name="Joint Capsules", mrp=79900, price=71900)
    make_article("spasm", body="## Help\n\n[[product:joint-capsule]]\n")
    db.session.commit()
    return product


def test_a_cached_page_costs_at_most_one_query(client, caching, article_with_card, count_queries):
    with count_queries() as first:
        client.get("/articles/spasm")
    with count_queries() as second:
        response = client.get("/articles/spasm")
    assert response.status_code == 200
    assert "₹719" in response.get_data(as_text=True)
    assert first.count > 1
    assert second.count <= 1  # at most the content-version check


def test_a_staff_edit_is_visible_on_the_next_request(client, db, caching, article_with_card):
    assert "10% OFF" in client.get("/articles/spasm").get_data(as_text=True)
    before = content_version()
    article_with_card.variants[0].price = 69900
    db.session.commit()
    assert content_version() == before + 1
    html = client.get("/articles/spasm").get_data(as_text=True)
    assert "₹699" in html and "12% OFF" in html and "₹719" not in html


def test_cached_pages_carry_each_visitors_own_csrf_token(live_server, caching, article_with_card):
    tokens = []
    for _ in range(2):  # two visitors, each with a cookie jar of their own, over real HTTP
        opener = build_opener(HTTPCookieProcessor(CookieJar()))
        html = opener.open(live_server + "/articles/spasm").read().decode()
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', html).group(1))
        assert "\x00" not in html
        assert "Joint Capsules" in html
    assert tokens[0] != tokens[1]


def test_not_found_is_never_cached(client, db, caching):
    assert client.get("/articles/later").status_code == 404
    make_article("later")
    db.session.commit()
    assert client.get("/articles/later").status_code == 200


def test_unrelated_writes_do_not_bump_the_version(db, article_with_card):
    before = content_version()
    db.session.commit()  # nothing changed
    assert content_version() == before


def test_the_cache_is_bounded_by_bytes_and_evicts_the_least_recently_used():
    from shop.cache import ENTRY_OVERHEAD, PageCache

    page = "₹" * 1000  # 3,000 bytes in UTF-8, 1,000 characters
    one = len(page.encode()) + len(repr(("/a",))) + ENTRY_OVERHEAD
    cache = PageCache(max_bytes=3 * one)
    for name in ("/a", "/b", "/c"):
        cache.put((name,), page, ttl=60)
    assert cache.get(("/a",)) == page  # now the most recently used
    cache.put(("/d",), page, ttl=60)
    assert cache.get(("/b",)) is None  # the least recently used went
    assert [cache.get((n,)) is not None for n in ("/a", "/c", "/d")] == [True] * 3
    assert cache.bytes <= cache.max_bytes and len(cache) == 3
    cache.put(("/huge",), page * 4, ttl=60)  # bigger than the whole budget: not kept
    assert cache.get(("/huge",)) is None and len(cache) == 3
    cache.put(("/a",), page, ttl=60)  # replacing an entry does not count it twice
    assert cache.bytes == 3 * one


def test_the_budget_comes_from_shop_page_cache_mb():
    from shop.config import load_config

    assert load_config({}, "/tmp")["PAGE_CACHE_BYTES"] == 64 * 1024 * 1024
    assert load_config({"SHOP_PAGE_CACHE_MB": "8"}, "/tmp")["PAGE_CACHE_BYTES"] == 8 << 20


def test_tracking_and_unknown_parameters_share_one_entry(client, db, caching, count_queries):
    make_product("joint-capsule", name="Joint Capsules")
    db.session.commit()
    cache = client.application.extensions["page_cache"]
    first = client.get("/products/?sort=price_asc").get_data(as_text=True)
    assert len(cache) == 1
    for i in range(5):
        with count_queries() as counter:
            response = client.get(
                f"/products/?utm_source=x{i}&sort=price_asc&gclid={i}&fbclid=f&msclkid=m&junk={i}"
            )
        assert response.status_code == 200
        assert counter.count <= 1  # served from the cache: at most the version check
    assert len(cache) == 1
    assert "Joint Capsules" in first
    client.get("/products/?sort=price_desc")  # a parameter the page uses does count
    assert len(cache) == 2
