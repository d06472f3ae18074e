"""Full-text search over products and articles: one interface, two engines.

Callers see a few functions. `product_matches(q)` and `article_matches(q)` return a
subquery with two columns, the matching row's id (`product_id` / `article_id`) and a
`rank` where LOWER means a BETTER match; callers join it on the primary key, add their
own filters and order by `rank.asc()`. `refresh_products(ids)` is the set-based call
for bulk writers that change products or their conditions behind the ORM's back;
`rebuild_index()` brings everything up to date after a bulk load; `is_search_object()`
tells Alembic's autogenerate which database objects belong to search and are not in the
models. The engine is chosen on every call from the dialect of the session's bind.

SQLite: FTS5
    `product_fts` and `article_fts` are *external-content* FTS5 tables: they hold only the
    inverted index and read the text itself from `products` / `articles`, whose `id` is
    the FTS rowid. Triggers (migrations 0002 and search_vectors) keep them in step: AFTER
    INSERT adds the new row, AFTER DELETE gives FTS5 the 'delete' command with the old
    values, and AFTER UPDATE of a searched column does both. The tokenizer is `porter
    unicode61 remove_diacritics 2`: case- and accent-blind, with English stemming so
    "spasms" finds "spasm". Ranking is by tier, from the index alone: a hit in the name
    (title) ranks 0, in brand, form or condition words (summary) 1, elsewhere 2, and the
    newest first within a tier. Each tier is one MATCH with a column filter that stops
    after `MAX_MATCHES` rows; bm25() would weigh each word by counting every row that
    holds it, 30–70 ms for a word in most of 100,000 products.

PostgreSQL: stored tsvector and GIN
    `products.search_vector` and `articles.search_vector` are tsvector columns written by
    a BEFORE trigger from the row's own text (`PRODUCT_VECTOR_SQL` / `ARTICLE_VECTOR_SQL`:
    name weighted A; brand, form and condition words B; description and ingredients C;
    for articles title A, summary B, body C). The trigger fires only when one of those
    columns changes, so price, stock or `active` updates never parse text. GIN indexes
    `ix_products_search` / `ix_articles_search` cover the columns, and ranking is
    `-ts_rank` of the stored vector (negated so lower is better): nothing is parsed again
    at query time. The planner sees the query's words and, from ANALYZE's statistics of
    the vector column, how common they are: for a word in most rows it reads the table
    in order and stops after `MAX_MATCHES` hits (cheap now that a row's vector is stored),
    instead of building a bitmap of 100,000 index entries first; rarer words use GIN.

Condition words. `products.search_keywords` holds the names of the product's conditions
(see `shop.search.index`), indexed with the brand and form, so "spasm" finds what is
tagged "Muscle spasm". Synonyms (`shop.search.synonyms`) widen the query instead of the
index: "haldi" is searched as ("haldi" OR "turmeric"), so editing them re-indexes nothing.

Bounded work. A word such as "herbal" can match nearly every product, and ranking and
counting 100,000 matches costs far more than the 50 ms a search may take (SPEC §5, §9).
So both engines return at most `MAX_MATCHES` rows: those with the highest ids on SQLite
(FTS5 reads its index in rowid order and stops), the first the scan finds on
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
from collections.abc import Sequence

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
    union_all,
)

from shop.extensions import db

MAX_TERMS = 16
MAX_TERM_LENGTH = 64
PREFIX_MIN_LENGTH = 3
MAX_MATCHES = 240  # ten pages of 24; ranking more costs more than a search may take

# --- PostgreSQL: the stored vectors (migration search_vectors has the same text) ------

PRODUCT_VECTOR_SQL = (
    "setweight(to_tsvector('english', coalesce({row}name, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce({row}brand, '') || ' ' || coalesce({row}form, '')"
    " || ' ' || coalesce({row}search_keywords, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce({row}description, '') || ' ' || "
    "coalesce({row}ingredients, '')), 'C')"
)
ARTICLE_VECTOR_SQL = (
    "setweight(to_tsvector('english', coalesce({row}title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce({row}summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce({row}body, '')), 'C')"
)

# --- SQLite: FTS5 tables and the columns of each ranking tier --------------------------

PRODUCT_FTS = "product_fts"
ARTICLE_FTS = "article_fts"
# A hit in the first tier's columns ranks 0, in the second's 1, anywhere else 2 (None).
PRODUCT_FTS_TIERS = (("name",), ("brand", "form", "search_keywords"), None)
ARTICLE_FTS_TIERS = (("title",), ("summary",), None)
WORDS_FTS = "search_words_trgm"  # the vocabulary's trigram index (shop.search.spelling)

# Everything the migrations create that the SQLAlchemy models do not describe.
_FTS5_SHADOW_SUFFIXES = ("data", "idx", "docsize", "config", "content")
_FTS_TABLES = (PRODUCT_FTS, ARTICLE_FTS, WORDS_FTS)
_SEARCH_TABLES = frozenset(
    list(_FTS_TABLES)
    + [f"{fts}_{suffix}" for fts in _FTS_TABLES for suffix in _FTS5_SHADOW_SUFFIXES]
)
_SEARCH_TRIGGERS = frozenset(
    [f"{fts}_{event}" for fts in (PRODUCT_FTS, ARTICLE_FTS) for event in ("ai", "ad", "au")]
    + [f"{WORDS_FTS}_ai", f"{WORDS_FTS}_ad", "products_search_vector", "articles_search_vector"]
)
_SEARCH_INDEXES = frozenset({"ix_products_search", "ix_articles_search", "ix_search_words_trgm"})
_SEARCH_COLUMNS = frozenset({"search_vector", "search_keywords"})
# The staff product search's indexes (trigram GIN on PostgreSQL, NOCASE on SQLite).
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
    """True for the search tables, indexes, triggers and columns the models do not describe.

    Used as Alembic's `include_object` filter so autogenerate never proposes dropping
    them. `type_` is Alembic's object type ("table", "index", "column", ...); the only
    search columns are `search_vector` and `search_keywords`.
    """
    if type_ == "column":
        return name in _SEARCH_COLUMNS
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


# A query is a list of slots that must all match; a slot is a list of alternatives, any
# one of which may match; an alternative is a phrase of one or more words, all required.
Slots = list[list[tuple[str, ...]]]


def plain_slots(terms: list[str]) -> Slots:
    return [[(term,)] for term in terms]


def _prefix_last(slots: Slots) -> bool:
    """The last word is a prefix when it stands alone (no synonyms) and is long enough."""
    last = slots[-1]
    return len(last) == 1 and len(last[0]) == 1 and len(last[0][0]) >= PREFIX_MIN_LENGTH


def _fts5_word(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _ts_word(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _slots(terms: list[str] | Slots) -> Slots:
    return terms if terms and isinstance(terms[0], list) else plain_slots(terms)


def _join(slots: Slots, word, all_of: str, any_of: str, prefix: str) -> str:
    parts = []
    if any(len(slot) > 1 for slot in slots) and all_of == " ":
        all_of = " AND "  # FTS5 only reads a bare space as AND between plain phrases
    for slot in slots:
        options = [all_of.join(word(t) for t in phrase) for phrase in slot]
        if len(options) == 1:
            parts.append(options[0])
        else:
            parts.append("(" + any_of.join(f"({o})" for o in options) + ")")
    return all_of.join(parts) + prefix


def fts5_query(terms: list[str] | Slots, prefix: bool | None = None) -> str:
    """An FTS5 MATCH string: each word a quoted string, all required, the last a prefix.

    Accepts plain words or slots (with synonyms: `("haldi") OR ("turmeric")`). `prefix`
    None: the last word is a prefix when `_prefix_last` says so.
    """
    slots = _slots(terms)
    prefix = _prefix_last(slots) if prefix is None else prefix
    return _join(slots, _fts5_word, " ", " OR ", "*" if prefix else "")


def tsquery_text(terms: list[str] | Slots, prefix: bool | None = None) -> str:
    """A to_tsquery() string: each word single-quoted, all required, the last a prefix."""
    slots = _slots(terms)
    prefix = _prefix_last(slots) if prefix is None else prefix
    return _join(slots, _ts_word, " & ", " | ", ":*" if prefix else "")


def query_slots(q: str | None) -> tuple[Slots, bool]:
    """The slots to search for `q` (its words widened by the synonyms staff keep), and
    whether the last word is a prefix: only when it is not a whole word the vocabulary
    knows ("caps" is, "oil" is not)."""
    from shop.search.synonyms import expand

    slots, last_known = expand(search_terms(q))
    return slots, bool(slots) and not last_known and _prefix_last(slots)


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
    tiers: tuple[tuple[str, ...] | None, ...],
    slots: Slots,
    prefix: bool,
    id_name: str,
    content_table=None,
    filters: list[ColumnElement[bool]] | None = None,
) -> Subquery:
    """Each tier's hits, newest first, at most MAX_MATCHES each; a row keeps its best tier.

    bm25() is not used: it counts every row holding each word to weigh it, which for a
    word in most of 100,000 rows takes longer than the whole search may.
    """
    fts_table = table(fts, column("rowid", Integer))
    hidden = literal_column(fts)  # the column named like the table takes MATCH
    expression = fts5_query(slots, prefix)
    probes = []
    for rank, columns in enumerate(tiers):
        match = expression if columns is None else f"{{{' '.join(columns)}}} : ({expression})"
        probe = select(fts_table.c.rowid.label(id_name), literal(rank).label("rank")).where(
            hidden.op("MATCH")(match)
        )
        if filters:
            # The unary + keeps SQLite from probing the FTS table once per content row
            # (a full MATCH each time); FTS5 drives the loop, the content table is looked up.
            probe = probe.join(
                content_table, content_table.c.id == literal_column(f"+{fts}.rowid")
            ).where(*filters)
        # Newest first, and FTS5 stops reading its index after MAX_MATCHES rows.
        probes.append(
            select(probe.order_by(fts_table.c.rowid.desc()).limit(MAX_MATCHES).subquery())
        )
    hits = union_all(*probes).subquery()
    best = func.min(hits.c.rank)
    return select(hits.c[id_name], best.label("rank")).group_by(hits.c[id_name]).subquery()


def _pg_matches(
    model,
    slots: Slots,
    prefix: bool,
    id_name: str,
    filters: list[ColumnElement[bool]] | None = None,
) -> Subquery:
    vector = literal_column(f"{model.__tablename__}.search_vector")
    # The planner sees the words (see the docstring): a seq scan for a very common one.
    query = func.to_tsquery(literal_column("'english'"), tsquery_text(slots, prefix))
    rank = -func.ts_rank(vector, query)
    return (
        select(model.id.label(id_name), rank.label("rank"))
        .where(vector.op("@@")(query), *(filters or []))
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

    slots, prefix = query_slots(q)
    if not slots:
        return _nothing(Product.id, "product_id")
    filters: list[ColumnElement[bool]] = []
    if active_only:
        filters.append(Product.active.is_(True))
    if category_id is not None:
        filters.append(Product.category_id == category_id)
    if _dialect() == "postgresql":
        return _pg_matches(Product, slots, prefix, "product_id", filters)
    return _fts5_matches(
        PRODUCT_FTS, PRODUCT_FTS_TIERS, slots, prefix, "product_id", Product.__table__, filters
    )


def article_matches(q: str, *, published_only: bool = False) -> Subquery:
    """Articles matching `q`: columns `article_id` and `rank` (lower is better).

    At most `MAX_MATCHES` rows; `published_only` filters before that cut (as
    `active_only` does for products), otherwise drafts are included and the caller filters.
    """
    from shop.content.models import Article

    slots, prefix = query_slots(q)
    if not slots:
        return _nothing(Article.id, "article_id")
    filters = [Article.published.is_(True)] if published_only else []
    if _dialect() == "postgresql":
        return _pg_matches(Article, slots, prefix, "article_id", filters)
    return _fts5_matches(
        ARTICLE_FTS, ARTICLE_FTS_TIERS, slots, prefix, "article_id", Article.__table__, filters
    )


def refresh_products(ids: Sequence[int]) -> None:
    """Set-based: bring the search index up to date for these product ids.

    For bulk writers that insert or change products or their conditions with Core
    statements (see `shop.search.index.refresh_products`); ORM writes need no call.
    """
    from shop.search.index import refresh_products as refresh

    refresh(ids)


def rebuild_index() -> None:
    """Bring the search index up to date with the tables, in the session's transaction
    (after a bulk load; see `shop.search.index.rebuild_index`)."""
    from shop.search.index import rebuild_index as rebuild

    rebuild(db.session)
