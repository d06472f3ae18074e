"""Search in the words shoppers type: typos, synonyms, condition words, Hindi, no words.

Runs on whichever database the suite runs on (SQLite and PostgreSQL).
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from shop.catalog.models import Product, product_conditions
from shop.catalog.queries import list_products
from shop.catalog.search import refresh_products
from shop.search.models import SearchSynonym, SearchWord
from shop.search.spelling import did_you_mean, edit_distance
from tests.factories import make_article, make_condition, make_product


def names(q: str) -> list[str]:
    return [card.name for card in list_products(q=q).items]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture()
def shelf(db):
    make_product("joint", name="Joint Pain Capsules", description="Eases stiff knees.")
    make_product("ashwa", name="Ashwagandha Tablets", description="A calming root.")
    make_product("turmeric", name="Turmeric Capsules", description="Golden spice.")
    make_product("d3", name="Vitamin D3 Drops", description="Sunshine in a bottle.")
    make_product("tape", name="Kinesiology Tape", description="Supports a sore muscle.")
    db.session.commit()


# --- typos ----------------------------------------------------------------------------


def test_the_vocabulary_holds_the_words_of_new_products(shelf, db):
    words = set(db.session.scalars(select(SearchWord.word)))
    assert {"joint", "capsules", "ashwagandha", "turmeric", "kinesiology"} <= words
    assert "eases" not in words  # descriptions are searched, not offered as corrections


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("capsuls", {"capsules", "capsule"}),  # the factory's form is "Capsule": as close
        ("capsuels", {"capsules"}),  # a swap
        ("ashwaganda", {"ashwagandha"}),
        ("jont pain", {"joint pain"}),
    ],
)
def test_common_misspellings_are_corrected(shelf, db, typed, meant):
    assert did_you_mean(typed) in meant


def test_known_short_and_numeric_words_are_left_alone(shelf, db):
    assert did_you_mean("joint capsules") is None
    assert did_you_mean("gel 500") is None  # too short to guess at, and a number
    assert did_you_mean("zzzzqqqq") is None  # nothing close enough


def test_edit_distance_counts_a_swap_once():
    assert edit_distance("jiont", "joint", 2) == 1
    assert edit_distance("capsuls", "capsules", 2) == 1
    assert edit_distance("abc", "xyz", 1) == 2  # capped at limit + 1


def test_misspelt_search_finds_capsules(shelf, client):
    html = page(client, "/search?q=capsuels")
    assert "Joint Pain Capsules" in html and "Turmeric Capsules" in html
    assert "Showing results for <strong>capsules</strong>" in html
    listing = page(client, "/products/?q=ashwaganda")
    assert "Ashwagandha Tablets" in listing
    assert "Showing results for <strong>ashwagandha</strong>" in listing


def test_a_search_that_finds_a_little_offers_the_correction(db, client):
    make_product("kin", name="Sports Tape", description="Kinesology tape, misspelt here.")
    make_product("tape", name="Kinesiology Tape", description="Spelt right.")
    db.session.commit()
    html = page(client, "/search?q=kinesology")
    assert "Sports Tape" in html
    assert "Kinesiology Tape" not in html  # the shopper's own words win
    assert 'Did you mean <a href="/search?q=kinesiology">kinesiology</a>?' in html


def test_a_good_search_never_looks_for_corrections(shelf, client, count_queries):
    with count_queries() as plain:
        page(client, "/search?q=capsules")  # five products: enough
    with count_queries() as misspelt:
        page(client, "/search?q=turmerik")
    assert misspelt.count > plain.count  # the correction's statements, only when needed

    def looks_for_corrections(statements) -> bool:  # SQLite's trigram table, pg_trgm
        return any("search_words_trgm" in s or "similarity(" in s for s in statements)

    assert not looks_for_corrections(plain.statements)
    assert looks_for_corrections(misspelt.statements)


# --- synonyms, conditions, Hindi ------------------------------------------------------


def test_synonyms_widen_the_search(shelf, db):
    db.session.add(SearchSynonym(words="turmeric, haldi, हल्दी"))
    db.session.add(SearchSynonym(words="vitamin d, vitamin d3"))
    db.session.commit()
    assert names("haldi") == ["Turmeric Capsules"]
    assert names("HALDI capsules") == ["Turmeric Capsules"]
    assert names("हल्दी") == ["Turmeric Capsules"]
    assert names("vitamin d") == ["Vitamin D3 Drops"]
    assert names("turmeric") == ["Turmeric Capsules"]


def test_hindi_names_find_products(db, client):
    make_product("ashwa", name="Ashwagandha Tablets")
    make_product("hindi", name="अश्वगंधा चूर्ण", description="Powder.")
    db.session.add(SearchSynonym(words="ashwagandha, अश्वगंधा"))
    db.session.commit()
    html = page(
        client, "/search?q=%E0%A4%85%E0%A4%B6%E0%A5%8D%E0%A4%B5%E0%A4%97%E0%A4%82%E0%A4%A7%E0%A4%BE"
    )
    assert "Ashwagandha Tablets" in html and "अश्वगंधा चूर्ण" in html


def test_condition_words_find_tagged_products(db):
    spasm = make_condition("muscle-spasm", "Muscle spasm")
    cramps = make_condition("muscle-cramps", "Muscle cramps")
    gel = make_product("gel", name="Cooling Gel", description="Rub in gently.")
    salts = make_product("salts", name="Electrolyte Sachets", description="Mix with water.")
    gel.conditions.append(spasm)
    salts.conditions.append(cramps)
    db.session.commit()
    assert names("spasm") == ["Cooling Gel"]
    assert names("cramp") == ["Electrolyte Sachets"]
    assert names("muscle") == ["Electrolyte Sachets", "Cooling Gel"]


def test_condition_words_follow_staff_changes(db):
    spasm = make_condition("muscle-spasm", "Muscle spasm")
    gel = make_product("gel", name="Cooling Gel", description="Rub in gently.")
    gel.conditions.append(spasm)
    db.session.commit()
    spasm.name = "Back spasm and stiffness"
    db.session.commit()
    assert names("stiffness") == ["Cooling Gel"]
    gel.conditions.clear()
    db.session.commit()
    assert names("stiffness") == []
    assert names("spasm") == []


def test_refresh_products_indexes_rows_written_with_core(db):
    """The set-based call for bulk writers (CSV import) that bypass the ORM."""
    cramps = make_condition("muscle-cramps", "Muscle cramps")
    ids = [make_product(f"bulk-{i}", name=f"Bulk Remedy {i}").id for i in range(3)]
    db.session.commit()
    db.session.execute(
        insert(product_conditions), [{"product_id": i, "condition_id": cramps.id} for i in ids]
    )
    db.session.execute(text("UPDATE products SET name = 'Nightcalm Drops' WHERE slug = 'bulk-0'"))
    assert names("cramp") == []  # written behind the ORM: not yet in the index
    refresh_products(ids)
    db.session.commit()
    assert sorted(names("cramp")) == ["Bulk Remedy 1", "Bulk Remedy 2", "Nightcalm Drops"]
    assert did_you_mean("nightcalmm") == "nightcalm"


def test_keywords_are_not_rewritten_when_nothing_changed(db):
    spasm = make_condition("muscle-spasm", "Muscle spasm")
    gel = make_product("gel", name="Cooling Gel")
    gel.conditions.append(spasm)
    db.session.commit()
    stamp = db.session.scalar(select(Product.updated_at).where(Product.id == gel.id))
    refresh_products([gel.id])
    db.session.commit()
    assert db.session.scalar(select(Product.updated_at).where(Product.id == gel.id)) == stamp


# --- the search page ------------------------------------------------------------------


def test_an_empty_search_shows_popular_products_and_articles(db, client):
    make_product("gel", name="Cooling Gel")
    make_article(title="Easing a Stiff Back")
    db.session.commit()
    html = page(client, "/search")
    assert "Popular products" in html and "Cooling Gel" in html
    assert "Popular articles" in html and "Easing a Stiff Back" in html
    assert "No products match" not in html


def _seed(db, start: int, stop: int) -> None:
    for i in range(start, stop):
        make_product(f"remedy-{i}", name=f"Ginger Remedy {i}")
        make_article(title=f"Ginger Notes {i}")
    db.session.commit()


@pytest.mark.parametrize("url", ["/search?q=ginger", "/search", "/products/?q=ginger"])
def test_search_pages_run_a_fixed_number_of_queries(app, db, count_queries, url):
    """The same statements for 3 results as for 24 (fewer than 3 look for a correction)."""
    counts = []
    for start, stop in ((0, 3), (3, 24)):
        _seed(db, start, stop)
        app.extensions["page_cache"].clear()
        with count_queries() as counter:
            assert app.test_client().get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_a_correction_runs_a_fixed_number_of_queries(app, db, count_queries):
    counts = []
    for start, stop in ((0, 1), (1, 24)):
        _seed(db, start, stop)
        app.extensions["page_cache"].clear()
        with count_queries() as counter:
            html = app.test_client().get("/search?q=gingerr").get_data(as_text=True)
        assert "Showing results for <strong>ginger</strong>" in html
        counts.append(counter.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "q",
    ["!!!", "...", "¿?", "😀", "%", "_", "\\", "'", "(", '"', "*", "-"],
)
def test_odd_text_gets_a_clear_page(shelf, client, q):
    for url in ("/search", "/products/"):
        response = client.get(url, query_string={"q": q})
        assert response.status_code == 200
        assert "match" in response.get_data(as_text=True)  # "No products match ..."


@pytest.mark.parametrize("q", ["\x01\x02joint", "joint\x1b[0m", "\t\n", "\x7f"])
def test_control_characters_are_refused_clearly(shelf, client, q):
    for url in ("/search", "/products/"):
        response = client.get(url, query_string={"q": q})
        assert response.status_code == 400
        assert "character" in response.get_data(as_text=True)


def test_too_long_or_nul_text_is_refused_clearly(shelf, client):
    for url in ("/search", "/products/"):
        long = client.get(url, query_string={"q": "capsule " * 30})
        assert long.status_code == 400
        assert "at most 200 characters" in long.get_data(as_text=True)
        nul = client.get(url, query_string={"q": "joint\x00"})
        assert nul.status_code == 400
