"""Full-text search over products and articles: one interface, two engines.

Callers see four functions. `product_matches(q)` and `article_matches(q)` return a
subquery with two columns, the matching row's id (`product_id` / `article_id`) and a
`rank` where LOWER means a BETTER match; callers join it on the primary key, add their
own filters and order by `rank.asc()`. `rebuild_index()` brings the index up to date
after a bulk load, and `is_search_object()` tells Alembic's autogenerate which database
objects belong to search and are not in the models. The engine is chosen on every call
from the dialect of the session's bind.

SQLite: FTS5
    `product_fts` and `article_fts` are *external-content* FTS5 tables: they hold only the
    inverted index and read the text itself from `products` / `articles`, whose `id` is
    the FTS rowid. Triggers made by migration 0002 keep them in step: AFTER INSERT adds
    the new row, AFTER DELETE gives FTS5 the 'delete' command with the old values, and
    AFTER UPDATE of a searched column does both. The tokenizer is `porter unicode61
    remove_diacritics 2`: case- and accent-blind, with English stemming so "spasms" finds
    "spasm". Matches are ranked with bm25, weighted so that a hit in the name counts most;
    bm25 is already "more negative is better", so it is the rank as it is.

PostgreSQL: tsvector and GIN
    `ix_products_search` and `ix_articles_search` are GIN indexes on an expression over the
    table's own columns (`PRODUCT_INDEX_SQL` / `ARTICLE_INDEX_SQL`), so PostgreSQL keeps
    them current by itself. The WHERE clause repeats that expression verbatim, which is
    what lets the planner use the index; migration 0002 builds the indexes on exactly the
    same text. An expression index stores no tsvector, so ranking would mean parsing every
    matched row's text again (about 35 µs a product with its description); the rank is
    therefore computed from the short fields only (`PRODUCT_RANK_SQL`: name weighted A,
    brand and form B; for articles title A, summary B) with `-ts_rank`, negated so lower
    is better. A product that matches only in its description ranks after those that
    match in the name, brand or form. The tsquery is handed to the WHERE clause through a
    scalar subquery so the planner cannot see how common the words are: otherwise it
    seq-scans for a word found in most rows, re-parsing every row, instead of using the
    index.

Bounded work. A word such as "herbal" can match nearly every product, and ranking and
counting 100,000 matches costs far more than the 50 ms a search may take (SPEC §5, §9).
So both engines return at most `MAX_MATCHES` rows: those with the highest ids on SQLite
(FTS5 reads its index in rowid order and stops), the first the index yields on
PostgreSQL. Below that many matches, which is nearly every real search, the result is
exact; above it the caller's count says MAX_MATCHES and the ranking is over that subset.
Filters passed to `product_matches` (`active_only`, `category_id`) are applied before the
cut, so filtering after it never leaves a page short.

User text is never handed to either query language as syntax. `search_terms()` splits it
into words (runs of letters, digits and combining marks, after NFKC normalisation);
every other character, quotes, `*`, `:`, parentheses, `-` and `^` included, separates
words, and at most `MAX_TERMS` words are kept. Each word is then written out as a quoted
string (`"joint" "pain"*` for FTS5, `'joint' & 'pain':*` for to_tsquery), and inside
quotes keywords such as AND, OR, NOT or NEAR are plain words. All words must match. The
last word also matches as a prefix once it has `PREFIX_MIN_LENGTH` characters, so "caps"
finds "capsules" (a one- or two-letter prefix would match half the index). Text with no
words in it matches nothing; it is not an error. With stemming the prefix is stemmed too,
so a few half-typed words whose stem differs from the whole word's ("generat" for
"generation") only match once the word is finished.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Subquery,
    column,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)

from shop.extensions import db

MAX_TERMS = 16
MAX_TERM_LENGTH = 64
PREFIX_MIN_LENGTH = 3
MAX_MATCHES = 1000

# --- PostgreSQL: what is indexed (migration 0002 uses the same text) and what ranks ---

PRODUCT_INDEX_SQL = (
    "setweight(to_tsvector('english', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(brand, '') || ' ' || coalesce(form, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '') || ' ' || "
    "coalesce(ingredients, '')), 'C')"
)
ARTICLE_INDEX_SQL = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'C')"
)
PRODUCT_RANK_SQL = (
    "setweight(to_tsvector('english', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(brand, '') || ' ' || coalesce(form, '')), 'B')"
)
ARTICLE_RANK_SQL = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'B')"
)

# --- SQLite: FTS5 tables and the bm25 weight of each of their columns ------------------

PRODUCT_FTS = "product_fts"
ARTICLE_FTS = "article_fts"
PRODUCT_FTS_WEIGHTS = (10.0, 4.0, 2.0, 1.0, 1.0)  # name, brand, form, description, ingredients
ARTICLE_FTS_WEIGHTS = (10.0, 3.0, 1.0)  # title, summary, body

# Everything migration 0002 creates that the SQLAlchemy models do not describe.
_FTS5_SHADOW_SUFFIXES = ("data", "idx", "docsize", "config", "content")
_SEARCH_TABLES = frozenset(
    [PRODUCT_FTS, ARTICLE_FTS]
    + [f"{fts}_{suffix}" for fts in (PRODUCT_FTS, ARTICLE_FTS) for suffix in _FTS5_SHADOW_SUFFIXES]
)
_SEARCH_TRIGGERS = frozenset(
    f"{fts}_{event}" for fts in (PRODUCT_FTS, ARTICLE_FTS) for event in ("ai", "ad", "au")
)
_SEARCH_INDEXES = frozenset({"ix_products_search", "ix_articles_search"})
# Migration 0014's indexes for the staff product search (trigram GIN, SQLite NOCASE).
_STAFF_SEARCH_INDEXES = frozenset(
    {
        "ix_products_name_trgm",
        "ix_products_slug_trgm",
        "ix_variants_sku_trgm",
        "ix_variants_sku_nocase",
    }
)
_SEARCH_OBJECTS = _SEARCH_TABLES | _SEARCH_TRIGGERS | _SEARCH_INDEXES | _STAFF_SEARCH_INDEXES


def is_search_object(name: str, type_: str) -> bool:
    """True for the search tables, indexes and triggers that the models do not describe.

    Used as Alembic's `include_object` filter so autogenerate never proposes dropping
    them. `type_` is Alembic's object type ("table", "index", "column", ...); columns and
    constraints are never search objects.
    """
    return type_ in {"table", "index", "trigger"} and name in _SEARCH_OBJECTS


# --- turning user text into a query ----------------------------------------------------


def search_terms(q: str | None) -> list[str]:
    """The words of `q`: runs of letters, digits and marks; everything else separates.

    A run must hold at least one letter or digit (a lone combining accent is not a word).
    At most `MAX_TERMS` words of at most `MAX_TERM_LENGTH` characters are returned.
    """
    terms: list[str] = []
    current: list[str] = []
    for char in unicodedata.normalize("NFKC", q or "") + " ":
        if unicodedata.category(char)[0] in "LNM":
            current.append(char)
            continue
        if current:
            word = "".join(current)
            if any(unicodedata.category(c)[0] in "LN" for c in word):
                terms.append(word[:MAX_TERM_LENGTH])
                if len(terms) == MAX_TERMS:
                    break
            current = []
    return terms


def _prefix_last(terms: list[str]) -> bool:
    return len(terms[-1]) >= PREFIX_MIN_LENGTH


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH string: each word a quoted string, all required, the last a prefix."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    return " ".join(quoted) + ("*" if _prefix_last(terms) else "")


def tsquery_text(terms: list[str]) -> str:
    """A to_tsquery() string: each word single-quoted, all required, the last a prefix."""
    quoted = ["'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms]
    return " & ".join(quoted) + (":*" if _prefix_last(terms) else "")


# --- the engines -----------------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _nothing(id_column, id_name: str) -> Subquery:
    """A subquery of the right shape that matches no rows."""
    return (
        select(id_column.label(id_name), literal(0.0, Float).label("rank"))
        .where(false())
        .subquery()
    )


def _fts5_matches(
    fts: str,
    weights: tuple[float, ...],
    terms: list[str],
    id_name: str,
    content_table=None,
    filters: list[ColumnElement[bool]] | None = None,
) -> Subquery:
    fts_table = table(fts, column("rowid", Integer))
    hidden = literal_column(fts)  # the column named like the table takes MATCH and bm25()
    bm25 = func.bm25(hidden, *(literal_column(repr(w)) for w in weights))
    stmt = select(fts_table.c.rowid.label(id_name), bm25.label("rank")).where(
        hidden.op("MATCH")(fts5_query(terms))
    )
    if filters:
        # The unary + keeps SQLite from probing the FTS table once per content row
        # (a full MATCH each time); FTS5 drives the loop, the content table is looked up.
        stmt = stmt.join(
            content_table, content_table.c.id == literal_column(f"+{fts}.rowid")
        ).where(*filters)
    # Newest first, and FTS5 stops reading its index after MAX_MATCHES rows.
    return stmt.order_by(fts_table.c.rowid.desc()).limit(MAX_MATCHES).subquery()


def _pg_matches(
    model,
    index_sql: str,
    rank_sql: str,
    terms: list[str],
    id_name: str,
    filters: list[ColumnElement[bool]] | None = None,
) -> Subquery:
    config = literal_column("'english'")
    query_text = tsquery_text(terms)
    # Parenthesised: each is an `||` chain.
    indexed = literal_column(f"({index_sql})")
    ranked = literal_column(f"({rank_sql})")
    # A scalar subquery hides the words' frequency from the planner (see the docstring).
    opaque_query = select(func.to_tsquery(config, query_text)).scalar_subquery()
    rank = -func.ts_rank(ranked, func.to_tsquery(config, query_text))
    return (
        select(model.id.label(id_name), rank.label("rank"))
        .where(indexed.op("@@")(opaque_query), *(filters or []))
        .limit(MAX_MATCHES)
        .subquery()
    )


def product_matches(
    q: str, *, active_only: bool = False, category_id: int | None = None
) -> Subquery:
    """Products matching `q`: columns `product_id` and `rank` (lower is better).

    At most `MAX_MATCHES` rows. `active_only` and `category_id` filter before that cut;
    a caller that filters on them afterwards anyway should pass them here as well.
    """
    from shop.catalog.models import Product

    terms = search_terms(q)
    if not terms:
        return _nothing(Product.id, "product_id")
    filters: list[ColumnElement[bool]] = []
    if active_only:
        filters.append(Product.active.is_(True))
    if category_id is not None:
        filters.append(Product.category_id == category_id)
    if _dialect() == "postgresql":
        return _pg_matches(
            Product, PRODUCT_INDEX_SQL, PRODUCT_RANK_SQL, terms, "product_id", filters
        )
    return _fts5_matches(
        PRODUCT_FTS, PRODUCT_FTS_WEIGHTS, terms, "product_id", Product.__table__, filters
    )


def article_matches(q: str) -> Subquery:
    """Articles matching `q`: columns `article_id` and `rank` (lower is better).

    At most `MAX_MATCHES` rows, published or not: the caller filters.
    """
    from shop.content.models import Article

    terms = search_terms(q)
    if not terms:
        return _nothing(Article.id, "article_id")
    if _dialect() == "postgresql":
        return _pg_matches(Article, ARTICLE_INDEX_SQL, ARTICLE_RANK_SQL, terms, "article_id")
    return _fts5_matches(ARTICLE_FTS, ARTICLE_FTS_WEIGHTS, terms, "article_id")


def rebuild_index() -> None:
    """Bring the search index up to date with the tables, in the session's transaction.

    On SQLite the FTS5 'rebuild' command re-reads every row of the content tables. On
    PostgreSQL the GIN indexes are always current; after a bulk load their pending lists
    are merged into the main index (otherwise every search scans the pending list until
    autovacuum gets to it) and the planner's statistics are refreshed.
    """
    if _dialect() == "postgresql":
        for table_name, index_name in (
            ("products", "ix_products_search"),
            ("articles", "ix_articles_search"),
        ):
            # Only the index's owner may do this (as for VACUUM); skip it for anyone else.
            db.session.execute(
                text(
                    "SELECT gin_clean_pending_list(c.oid) FROM pg_class AS c "
                    "WHERE c.oid = to_regclass(:index) AND pg_has_role(c.relowner, 'USAGE')"
                ),
                {"index": index_name},
            )
            db.session.execute(text(f"ANALYZE {table_name}"))
        return
    for fts in (PRODUCT_FTS, ARTICLE_FTS):
        db.session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))
