"""Full-text search over products and articles, on whichever database the suite runs on."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

from shop.catalog import search
from shop.catalog.models import Product
from shop.catalog.queries import list_products
from shop.catalog.search import (
    article_matches,
    fts5_query,
    is_search_object,
    product_matches,
    rebuild_index,
    search_terms,
    tsquery_text,
)
from shop.content.queries import search_articles
from tests.factories import make_article, make_product


def names(q: str) -> list[str]:
    return [card.name for card in list_products(q=q).items]


def titles(q: str) -> list[str]:
    return [article.title for article in search_articles(q)]


def product(slug: str, name: str, description: str = "", form: str = "Oil", **kwargs) -> Product:
    """A product whose form is not the factory's "Capsule", so searches stay specific."""
    made = make_product(slug, name=name, description=description, **kwargs)
    made.form = form
    return made


@pytest.fixture()
def catalogue(db):
    product("joint", "Joint Pain Capsules", "Eases stiff knees.", form="Capsule")
    product("spasm", "Muscle Relaxant Gel", "For back spasms and cramps.", form="Gel")
    product("sleep", "Sleep Well Tablets", "Melatonin for restful nights.", form="Tablet")
    db.session.commit()


def test_finds_a_product_by_a_word_in_its_name(catalogue):
    assert names("joint") == ["Joint Pain Capsules"]
    assert names("JOINT pain") == ["Joint Pain Capsules"]


def test_finds_a_product_by_a_word_in_its_description(catalogue):
    assert names("melatonin") == ["Sleep Well Tablets"]
    assert names("spasm") == ["Muscle Relaxant Gel"]  # "spasms" in the text: stemmed


def test_finds_a_product_by_its_brand(db):
    item = make_product(name="Turmeric Drops")
    item.brand = "Himalaya Herbals"
    db.session.commit()
    assert names("himalaya") == ["Turmeric Drops"]


def test_every_word_must_match(catalogue):
    assert names("joint knees") == ["Joint Pain Capsules"]
    assert names("joint melatonin") == []


def test_last_word_matches_as_a_prefix(catalogue):
    assert names("caps") == ["Joint Pain Capsules"]
    assert names("joint capsu") == ["Joint Pain Capsules"]
    assert names("melat") == ["Sleep Well Tablets"]


def test_one_or_two_letters_are_a_word_not_a_prefix(db):
    product("d3", "Vitamin D Drops", "Sunshine vitamin.")
    product("dx", "Vitamin Dx Tablets", "Another.")
    db.session.commit()
    assert names("vitamin d") == ["Vitamin D Drops"]
    assert fts5_query(["vitamin", "d"]) == '"vitamin" "d"'
    assert tsquery_text(["vitamin", "d"]) == "'vitamin' & 'd'"
    assert fts5_query(["joint", "pai"]) == '"joint" "pai"*'
    assert tsquery_text(["joint", "pai"]) == "'joint' & 'pai':*"


def test_a_name_match_ranks_above_a_description_only_match(db):
    make_product("in-text", name="Herbal Balm", description="Soothes arthritis flare ups.")
    make_product("in-name", name="Arthritis Relief Oil", description="Massage into the skin.")
    db.session.commit()
    assert names("arthritis") == ["Arthritis Relief Oil", "Herbal Balm"]


def test_relevance_order_and_count_over_many_matches(db):
    for i in range(30):
        make_product(f"filler-{i}", name=f"Remedy {i}", description="Contains ginger root.")
    make_product("best", name="Ginger Chews", description="Made from ginger.")
    db.session.commit()
    page = list_products(q="ginger")
    assert page.total == 31
    assert len(page.items) == 24
    assert page.items[0].name == "Ginger Chews"


def test_matches_are_capped_and_filters_apply_before_the_cap(db, monkeypatch):
    for i in range(8):
        product(f"on-{i}", f"Neem Soap {i}", "Neem.", active=i % 2 == 0)
    db.session.commit()
    monkeypatch.setattr(search, "MAX_MATCHES", 3)
    assert len(db.session.execute(select(product_matches("neem"))).all()) == 3
    active_only = db.session.execute(select(product_matches("neem", active_only=True))).all()
    assert len(active_only) == 3
    active_ids = set(db.session.scalars(select(Product.id).where(Product.active.is_(True))))
    assert {row.product_id for row in active_only} <= active_ids
    assert list_products(q="neem").total <= 3


def test_category_filter_applies_inside_the_match(db):
    first = product("in-a", "Tulsi Drops", "Tulsi.")
    product("in-b", "Tulsi Tea", "Tulsi.")
    db.session.commit()
    rows = db.session.execute(select(product_matches("tulsi", category_id=first.category_id))).all()
    assert [row.product_id for row in rows] == [first.id]


def test_inactive_products_are_not_listed(db):
    make_product("on", name="Arnica Gel")
    make_product("off", name="Arnica Cream", active=False)
    db.session.commit()
    assert names("arnica") == ["Arnica Gel"]
    assert list_products(q="arnica").total == 1


def test_a_renamed_product_is_found_by_its_new_name_only(catalogue, db):
    db.session.execute(
        update(Product).where(Product.slug == "sleep").values(name="Night Calm Tablets")
    )
    db.session.commit()
    assert names("calm") == ["Night Calm Tablets"]
    assert names("sleep") == []
    assert names("melatonin") == ["Night Calm Tablets"]  # the other columns are still there


def test_changing_other_columns_keeps_the_product_findable(catalogue, db):
    product = db.session.scalar(select(Product).where(Product.slug == "joint"))
    product.max_per_order = 3
    product.variants[0].stock = 0
    db.session.commit()
    assert names("joint") == ["Joint Pain Capsules"]


def test_a_deleted_product_disappears(catalogue, db):
    db.session.execute(delete(Product).where(Product.slug == "joint"))
    db.session.commit()
    assert names("joint") == []
    assert names("capsules") == []
    assert names("melatonin") == ["Sleep Well Tablets"]


def test_accents_are_ignored_on_sqlite(db, is_postgres):
    if is_postgres:
        pytest.skip("the 'english' configuration keeps accents")
    make_product("creme", name="Crème Arnica")
    db.session.commit()
    assert names("creme") == ["Crème Arnica"]


HOSTILE = [
    '"',
    '""',
    "*",
    "**caps",
    "AND OR NOT",
    "joint AND",
    "NOT joint",
    "NEAR(",
    "NEAR(joint pain, 2)",
    "'; DROP TABLE products; --",
    "col:value",
    "name:joint",
    "{name brand}: joint",
    "joint^",
    "-joint",
    "joint & | ! <-> :* pain",
    "\\'\\\"",
    "(((",
    "名前",
    "दवा",
    "e\u0301",  # a lone combining accent after a letter
    "\u0301",
    "💊💊",
    "joint 💊",
    "%_",
    " ",
    "x" * 200,
    "capsule " * 25,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_text_never_raises(catalogue, q):
    page = list_products(q=q)
    assert isinstance(page.items, list)
    assert isinstance(search_articles(q), list)


def test_hostile_text_is_searched_as_plain_words(catalogue, db):
    assert names('"joint"') == ["Joint Pain Capsules"]
    assert names("name:joint") == []  # "name" is a word to find, not a column filter
    assert names("joint OR sleep") == []  # a word (or a stop word), not "either of"
    assert names("NEAR(joint") == []
    assert names("'; DROP TABLE products; --") == []
    assert db.session.scalar(select(Product.id).where(Product.slug == "joint"))
    assert names("*caps") == ["Joint Pain Capsules"]


def test_text_without_words_matches_nothing(catalogue, db):
    for q in ["", " ", "!!!", "💊", '"*"', "\u0301"]:
        assert search_terms(q) == []
        assert db.session.execute(select(product_matches(q))).all() == []
        assert titles(q) == []
        if q:  # list_products(q="") lists everything: it does not search at all
            assert names(q) == []


def test_search_terms_split_on_everything_but_letters_and_digits():
    assert search_terms('"joint" pain*') == ["joint", "pain"]
    assert search_terms("col:value") == ["col", "value"]
    assert search_terms("vitamin-d3 500mg") == ["vitamin", "d3", "500mg"]
    assert search_terms("Crème") == ["Crème"]
    assert len(search_terms("a " * 100)) == 16


def test_articles_found_by_title_and_body(db):
    make_article(title="Muscle Spasm in the Back", body="## Causes\n\nDehydration.\n")
    make_article(title="Sleeping Better", body="Keep a regular bedtime and less caffeine.\n")
    make_article(title="Draft on Caffeine", body="Caffeine.\n", published=False)
    db.session.commit()
    assert titles("spasm") == ["Muscle Spasm in the Back"]
    assert titles("dehydration") == ["Muscle Spasm in the Back"]
    assert titles("caffeine") == ["Sleeping Better"]  # the unpublished draft is not shown


def test_article_title_match_ranks_above_a_body_match(db):
    make_article(title="Living with Migraine", body="Tips.\n")
    make_article(title="Headache Diary", body="Note when a migraine starts.\n")
    db.session.commit()
    assert titles("migraine") == ["Living with Migraine", "Headache Diary"]


def test_rebuild_index_keeps_everything_findable(catalogue, db):
    make_article(title="Joint Care")
    db.session.commit()
    rebuild_index()
    db.session.commit()
    assert names("joint") == ["Joint Pain Capsules"]
    assert titles("joint") == ["Joint Care"]


def test_rebuild_index_indexes_rows_written_behind_the_triggers(db, is_postgres):
    make_product("quiet", name="Quiet Nights Spray")
    db.session.commit()
    if is_postgres:
        db.session.execute(text("ALTER TABLE products DISABLE TRIGGER products_search_vector"))
        db.session.execute(text("UPDATE products SET search_vector = NULL"))
        db.session.execute(text("ALTER TABLE products ENABLE TRIGGER products_search_vector"))
    else:
        db.session.execute(text("INSERT INTO product_fts(product_fts) VALUES ('delete-all')"))
    assert names("quiet") == []
    rebuild_index()
    db.session.commit()
    assert names("quiet") == ["Quiet Nights Spray"]


def test_search_page_shows_matching_products(client, db):
    product("capsule", "Joint Pain Capsule", "Eases stiff knees.", form="Capsule")
    product("other", "Sleep Well Tablets", "Melatonin.", form="Tablet")
    db.session.commit()
    response = client.get("/search?q=capsule")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Joint Pain Capsule" in html
    assert "Sleep Well Tablets" not in html


def test_search_objects_are_recognised():
    for fts in ("product_fts", "article_fts"):
        assert is_search_object(fts, "table")
        for shadow in ("data", "idx", "docsize", "config", "content"):
            assert is_search_object(f"{fts}_{shadow}", "table")
        for trigger in ("ai", "ad", "au"):
            assert is_search_object(f"{fts}_{trigger}", "trigger")
    assert is_search_object("ix_products_search", "index")
    assert is_search_object("ix_articles_search", "index")
    assert not is_search_object("products", "table")
    assert not is_search_object("ix_products_active", "index")
    assert not is_search_object("name", "column")
    assert is_search_object("search_vector", "column")
    assert is_search_object("search_keywords", "column")
    assert is_search_object("search_words_trgm", "table")
    assert is_search_object("ix_search_words_trgm", "index")
    assert not is_search_object("search_words", "table")  # a model


def test_the_search_objects_exist(db, is_postgres):
    if is_postgres:
        rows = db.session.execute(
            text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%_search'")
        )
        expected = {"ix_products_search", "ix_articles_search"}
    else:
        rows = db.session.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '%_fts%'"))
        expected = {
            "product_fts",
            "article_fts",
            "product_fts_ai",
            "product_fts_ad",
            "product_fts_au",
            "article_fts_ai",
            "article_fts_ad",
            "article_fts_au",
        }
    found = {name for (name,) in rows}
    assert expected <= found
    assert all(
        is_search_object(name, "table")
        or is_search_object(name, "trigger")
        or is_search_object(name, "index")
        for name in found
    )


def test_migration_writes_the_vectors_search_describes():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0018_search_vectors.py"
    spec = importlib.util.spec_from_file_location("migration_search_vectors", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.PRODUCT_VECTOR == search.PRODUCT_VECTOR_SQL
    assert migration.ARTICLE_VECTOR == search.ARTICLE_VECTOR_SQL


def test_postgres_query_uses_the_gin_index(db, is_postgres):
    """The WHERE clause tests the indexed vector column."""
    if not is_postgres:
        pytest.skip("PostgreSQL only")
    product("herbal", "Herbal Balm", "Herbal.")
    make_article(title="Herbal Notes", body="Herbal.")
    db.session.commit()
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: prove usable
    for q, table in [("herbal", "products"), ("herbal", "articles")]:
        matches = product_matches(q) if table == "products" else article_matches(q)
        sql = select(matches).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        assert f"ix_{table}_search" in plan, plan
