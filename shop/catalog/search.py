"""Full-text search over products and articles: one interface, two engines.

Callers only see four functions. `product_matches(q)` and `article_matches(q)` return a
subquery with two columns, the matching row's id (`product_id` / `article_id`) and a
`rank` where LOWER means a BETTER match; callers join it on the primary key, add their
own filters (active products, published articles) and order by `rank.asc()`.
`rebuild_index()` re-fills the index after a bulk load, and `is_search_object()` tells
Alembic's autogenerate which database objects belong to search and are not in the models.
The engine is picked on every call from the dialect of the session's bind.

SQLite: FTS5
    `product_fts` and `article_fts` are *external-content* FTS5 tables. They store only
    the inverted index and read the text itself from `products` / `articles`, whose `id`
    is the FTS rowid. Triggers made by migration 0002 keep them in step: AFTER INSERT adds
    the new row, AFTER DELETE sends FTS5 the 'delete' command with the old values, and
    AFTER UPDATE (of the searched columns only) does both. The tokenizer is
    `porter unicode61 remove_diacritics 2`: case- and accent-blind, with English stemming so
    "spasms" finds "spasm". Matches are ranked with bm25, weighted so that a hit in the name
    counts most; bm25 is already "more negative is better", so it is the rank as it is.

PostgreSQL: tsvector and GIN
    `ix_products_search` and `ix_articles_search` are GIN indexes on an expression over the
    table's own columns (`PRODUCT_VECTOR_SQL` / `ARTICLE_VECTOR_SQL`: name or title weighted
    A, brand/form or summary B, the long text C), so PostgreSQL keeps them current by
    itself. The query repeats that expression verbatim, which is what lets the planner
    use the index; migration 0002 must build the index on exactly the same text. The rank
    is `-ts_rank_cd(...)`, negated so that lower is better here too.

User text is never handed to either query language as syntax. `search_terms()` splits it
into words (runs of letters, digits and combining marks, after NFKC normalisation); every
other character, quotes, `*`, `:`, parentheses, `-` and `^` included, is a separator, and
at most `MAX_TERMS` words are kept. Each word is then written out as a quoted string
(`"joint" "pain"*` for FTS5, `'joint' & 'pain':*` for to_tsquery): inside quotes keywords
such as AND, OR, NOT or NEAR are plain words. The last word is a prefix so results appear
while a word is still being typed. Text with no words in it matches nothing; it is not an
error. (With the porter stemmer a prefix is stemmed as well, so a few half-typed words
whose stem differs from the whole word's, such as "generat" for "generation", do not match
until the word is finished.)
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import (
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

# --- PostgreSQL: the indexed expressions (migration 0002 builds the indexes on these) ----

PRODUCT_VECTOR_SQL = (
    "setweight(to_tsvector('english', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(brand, '') || ' ' || coalesce(form, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '') || ' ' || "
    "coalesce(ingredients, '')), 'C')"
)
ARTICLE_VECTOR_SQL = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'C')"
)

# --- SQLite: FTS5 tables, their columns and the bm25 weight of each column -------------

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
_SEARCH_OBJECTS = _SEARCH_TABLES | _SEARCH_TRIGGERS | _SEARCH_INDEXES


def is_search_object(name: str, type_: str) -> bool:
    """True for the search tables, indexes and triggers that the models do not describe.

    Used as Alembic's `include_object` filter so autogenerate never proposes dropping
    them. `type_` is Alembic's object type ("table", "index", "column", ...); columns and
    constraints are never search objects.
    """
    if type_ not in {"table", "index", "trigger"}:
        return False
    return name in _SEARCH_OBJECTS


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


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH string: each word a quoted string, all required, the last a prefix."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    return " ".join(quoted) + "*"


def tsquery_text(terms: list[str]) -> str:
    """A to_tsquery() string: each word single-quoted, all required, the last a prefix."""
    quoted = ["'" + term.replace("'", "''").replace("\\", "\\\\") + "'" for term in terms]
    return " & ".join(quoted) + ":*"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _nothing(id_column, id_name: str) -> Subquery:
    """A subquery of the right shape that matches no rows."""
    return (
        select(id_column.label(id_name), literal(0.0, Float).label("rank"))
        .where(false())
        .subquery()
    )


def _fts5_matches(fts: str, weights: tuple[float, ...], terms: list[str], id_name: str):
    fts_table = table(fts, column("rowid", Integer))
    hidden = literal_column(fts)  # the column named like the table takes MATCH and bm25()
    bm25 = func.bm25(hidden, *(literal_column(repr(w)) for w in weights))
    return (
        select(fts_table.c.rowid.label(id_name), bm25.label("rank"))
        .where(hidden.op("MATCH")(fts5_query(terms)))
        .subquery()
    )


def _pg_matches(id_column, vector_sql: str, terms: list[str], id_name: str):
    vector = literal_column(f"({vector_sql})")  # parenthesised: it is an `||` chain
    tsquery = func.to_tsquery(literal_column("'english'"), tsquery_text(terms))
    return (
        select(id_column.label(id_name), (-func.ts_rank_cd(vector, tsquery)).label("rank"))
        .where(vector.op("@@")(tsquery))
        .subquery()
    )


def product_matches(q: str) -> Subquery:
    """Products matching `q`: columns `product_id` and `rank` (lower is better)."""
    from shop.catalog.models import Product

    terms = search_terms(q)
    if not terms:
        return _nothing(Product.id, "product_id")
    if _dialect() == "postgresql":
        return _pg_matches(Product.id, PRODUCT_VECTOR_SQL, terms, "product_id")
    return _fts5_matches(PRODUCT_FTS, PRODUCT_FTS_WEIGHTS, terms, "product_id")


def article_matches(q: str) -> Subquery:
    """Articles matching `q`: columns `article_id` and `rank` (lower is better)."""
    from shop.content.models import Article

    terms = search_terms(q)
    if not terms:
        return _nothing(Article.id, "article_id")
    if _dialect() == "postgresql":
        return _pg_matches(Article.id, ARTICLE_VECTOR_SQL, terms, "article_id")
    return _fts5_matches(ARTICLE_FTS, ARTICLE_FTS_WEIGHTS, terms, "article_id")


def rebuild_index() -> None:
    """Re-fill the search index from the tables, in the session's transaction.

    On SQLite the FTS5 'rebuild' command re-reads every row of the content table. On
    PostgreSQL the GIN indexes are always current; refreshing the planner's statistics is
    what a bulk load needs there.
    """
    if _dialect() == "postgresql":
        db.session.execute(text("ANALYZE products"))
        db.session.execute(text("ANALYZE articles"))
        return
    for fts in (PRODUCT_FTS, ARTICLE_FTS):
        db.session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))
