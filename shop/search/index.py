"""Keeping the search index right: condition words on products, and the vocabulary.

`refresh_products(ids)` is the one set-based call for code that writes products, their
conditions or their text behind the ORM's back (bulk CSV import, the bench generator):
it rewrites `products.search_keywords` (the names of each product's conditions) with
one UPDATE, which the database's own triggers carry into the full-text index (the
PostgreSQL vector trigger, SQLite's FTS5 triggers), and adds the products' words to the
vocabulary that "did you mean" corrects against. Writes through the ORM need nothing:
the session hooks at the end of this module call it after every flush that adds a
product, changes a product's conditions or name, or renames a condition.

The vocabulary (`search_words`) holds the words shoppers are likely to type, in lower
case: product names, brands and forms, condition names, article titles and synonyms.
Words are only ever added between full rebuilds (`rebuild_vocabulary`); a word left
behind by a deleted product costs nothing, since a correction to it finds nothing and
the shopper keeps their own words. `rebuild_index` brings all of it (and, on each
engine, the full-text index itself) up to date after a bulk load.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, event, inspect, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from shop.search.models import SearchWord

CHUNK = 5000  # ids per statement: well below either database's parameter limit
MIN_WORD = 3  # shorter words are never corrected, so they are not kept
MAX_WORD = 64

_KEYWORDS = {
    "postgresql": """
UPDATE products SET search_keywords = k.words
FROM (SELECT p.id, coalesce(string_agg(c.name, ' ' ORDER BY c.name), '') AS words
      FROM products AS p
      LEFT JOIN product_conditions AS pc ON pc.product_id = p.id
      LEFT JOIN conditions AS c ON c.id = pc.condition_id
      WHERE p.id IN :ids GROUP BY p.id) AS k
WHERE products.id = k.id AND products.search_keywords <> k.words
""",
    "sqlite": """
UPDATE products SET search_keywords = k.words
FROM (SELECT p.id, coalesce((
          SELECT group_concat(name, ' ') FROM (
              SELECT c.name FROM product_conditions AS pc
              JOIN conditions AS c ON c.id = pc.condition_id
              WHERE pc.product_id = p.id ORDER BY c.name)), '') AS words
      FROM products AS p WHERE p.id IN :ids) AS k
WHERE products.id = k.id AND products.search_keywords <> k.words
""",
}
_PRODUCT_WORDS = "SELECT name, brand, form, search_keywords FROM products WHERE id IN :ids"


def words_in(texts: Iterable[str | None]) -> set[str]:
    """The lower-case words of `texts` worth keeping in the vocabulary."""
    from shop.catalog.search import search_terms

    found: set[str] = set()
    for value in texts:
        for term in search_terms(value):
            word = unicodedata.normalize("NFKC", term.casefold())
            if MIN_WORD <= len(word) <= MAX_WORD and not word.isdigit():
                found.add(word)
    return found


def add_words(connection: Connection, words: Iterable[str]) -> None:
    """Add `words` to the vocabulary; ones already there are left alone."""
    rows = [{"word": w} for w in sorted(set(words))]
    if not rows:
        return
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), CHUNK):
        stmt = insert(SearchWord.__table__).on_conflict_do_nothing(index_elements=["word"])
        connection.execute(stmt, rows[start : start + CHUNK])


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def refresh_products(ids: Sequence[int], connection: Connection | None = None) -> None:
    """Bring the search index up to date for these products, set-based.

    For code that inserted or changed products or `product_conditions` rows with Core
    statements (bulk import): one UPDATE of the condition words per chunk of ids (rows
    whose words did not change are not touched) and one vocabulary insert. Runs in the
    caller's transaction; `connection` defaults to the session's.
    """
    if connection is None:
        from shop.extensions import db

        connection = db.session.connection()
    keywords = text(_KEYWORDS[connection.dialect.name]).bindparams(bindparam("ids", expanding=True))
    words = text(_PRODUCT_WORDS).bindparams(bindparam("ids", expanding=True))
    for chunk in _chunks(ids):
        connection.execute(keywords, {"ids": chunk})
        rows = connection.execute(words, {"ids": chunk})
        add_words(connection, words_in(value for row in rows for value in row))


def refresh_all_products(connection: Connection) -> None:
    """`refresh_products` for every product (rebuilds, migrations)."""
    ids = list(connection.scalars(text("SELECT id FROM products ORDER BY id")))
    refresh_products(ids, connection)


def fill_vocabulary(connection: Connection) -> None:
    """Add the words of every product, condition, article title and synonym."""
    refresh_all_products(connection)
    texts = list(connection.scalars(text("SELECT name FROM conditions")))
    texts += connection.scalars(text("SELECT title FROM articles"))
    texts += connection.scalars(text("SELECT words FROM search_synonyms"))
    add_words(connection, words_in(texts))


def rebuild_vocabulary(connection: Connection) -> None:
    """Empty the vocabulary and fill it again from the tables."""
    connection.execute(SearchWord.__table__.delete())
    fill_vocabulary(connection)


# --- keeping it right after ORM writes ------------------------------------------------

_PENDING = "search_index_pending"
_PRODUCT_WORD_FIELDS = ("name", "brand", "form")


def _changed(obj, names: Sequence[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


# What each watched model's words come from, and the fields whose change matters.
_WORD_FIELDS = {"Article": ("title",), "SearchSynonym": ("words",)}


@event.listens_for(Session, "before_flush")
def _collect(session: Session, flush_context, instances) -> None:
    from shop.catalog.models import Product
    from shop.content.models import Condition

    pending = session.info.setdefault(_PENDING, {"products": [], "conditions": [], "words": []})
    for obj in session.new:
        if isinstance(obj, Product):
            pending["products"].append(obj)
        elif isinstance(obj, Condition) or type(obj).__name__ in _WORD_FIELDS:
            pending["words"].append(obj)
    for obj in session.dirty:
        kind = type(obj).__name__
        if isinstance(obj, Product):
            if _changed(obj, ("conditions", *_PRODUCT_WORD_FIELDS)):
                pending["products"].append(obj)
        elif isinstance(obj, Condition):
            if _changed(obj, ("name",)):
                pending["conditions"].append(obj)
        elif kind in _WORD_FIELDS and _changed(obj, _WORD_FIELDS[kind]):
            pending["words"].append(obj)


@event.listens_for(Session, "after_flush")
def _apply(session: Session, flush_context) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()):
        return
    from shop.catalog.models import product_conditions

    connection = session.connection()
    product_ids = [p.id for p in pending["products"] if p.id is not None]
    condition_ids = [c.id for c in pending["conditions"] if c.id is not None]
    if condition_ids:
        product_ids += connection.scalars(
            select(product_conditions.c.product_id).where(
                product_conditions.c.condition_id.in_(condition_ids)
            )
        )
    if product_ids:
        refresh_products(product_ids, connection)
    texts = [
        getattr(o, "name", None) or getattr(o, "title", None) or getattr(o, "words", "")
        for o in pending["words"] + pending["conditions"]
    ]
    add_words(connection, words_in(texts))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def rebuild_index(session: Session) -> None:
    """Bring the search index up to date with the tables, in the session's transaction.

    Condition words and the vocabulary are rebuilt on both engines. On SQLite the FTS5
    'rebuild' command then re-reads every row of the content tables. On PostgreSQL the
    vectors are kept by triggers (rows without one get it here); after a bulk load the
    GIN pending lists are merged into the main index (otherwise every search scans the
    pending list until autovacuum gets to it) and the planner's statistics refreshed.
    """
    from shop.catalog.search import ARTICLE_FTS, ARTICLE_VECTOR_SQL, PRODUCT_FTS, PRODUCT_VECTOR_SQL

    connection = session.connection()
    rebuild_vocabulary(connection)
    if connection.dialect.name == "postgresql":
        # Rows written while the vector trigger was off (a restore, a replica-mode load).
        for table_name, vector in (
            ("products", PRODUCT_VECTOR_SQL),
            ("articles", ARTICLE_VECTOR_SQL),
        ):
            connection.execute(
                text(
                    f"UPDATE {table_name} SET search_vector = {vector.format(row='')} "
                    "WHERE search_vector IS NULL"
                )
            )
        for table_name, index_name in (
            ("products", "ix_products_search"),
            ("articles", "ix_articles_search"),
            ("search_words", "ix_search_words_trgm"),
        ):
            # Only the index's owner may do this (as for VACUUM); skip it for anyone else.
            connection.execute(
                text(
                    "SELECT gin_clean_pending_list(c.oid) FROM pg_class AS c "
                    "WHERE c.oid = to_regclass(:index) AND pg_has_role(c.relowner, 'USAGE')"
                ),
                {"index": index_name},
            )
            connection.execute(text(f"ANALYZE {table_name}"))
        return
    for fts in (PRODUCT_FTS, ARTICLE_FTS):
        connection.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))
