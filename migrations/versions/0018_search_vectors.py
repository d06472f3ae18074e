"""Search that scales: stored vectors, condition words, a vocabulary for typos, synonyms.

Revision ID: search_vectors
Revises: article_attribution
Create Date: 2026-11-29

What changes (see shop/catalog/search.py and shop/search/ for how it is used):

- `products.search_keywords`: the names of the product's conditions, written by
  `shop.search.index.refresh_products()`, so "spasm" finds what is tagged "Muscle spasm".
- PostgreSQL: `products.search_vector` and `articles.search_vector`, tsvector columns kept
  by a BEFORE trigger that fires only when a searched column changes, replace 0002's
  expression indexes; `ix_products_search` / `ix_articles_search` are GIN indexes on them,
  so ranking reads the stored vector instead of parsing text again.
- SQLite: `product_fts` is built again with the `search_keywords` column (its triggers too).
- `search_words`: the words shoppers may mean (names, brands, forms, condition names,
  article titles, synonyms), with a trigram index for "did you mean": pg_trgm's GIN index
  on PostgreSQL, an FTS5 table with the trigram tokenizer on SQLite.
- `search_synonyms`: groups of words or phrases that mean the same, edited by staff.

The vocabulary is filled at the end from the rows already there.

SQLite note for later migrations: a batch_alter_table that rebuilds `products` drops
the `product_fts_*` triggers with the old table. Create them again with this module's
`_fts_triggers("product_fts", "products", PRODUCT_FTS_NEW)` (not 0002's list, which
lacks `search_keywords`) and run the FTS5 'rebuild' command.
"""

import sqlalchemy as sa
from alembic import op

revision = "search_vectors"
down_revision = "article_attribution"
branch_labels = None
depends_on = None

# The same text as shop/catalog/search.py (PRODUCT_VECTOR_SQL / ARTICLE_VECTOR_SQL);
# `{row}` is "NEW." inside the trigger and "" in the backfill.
PRODUCT_VECTOR = (
    "setweight(to_tsvector('english', coalesce({row}name, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce({row}brand, '') || ' ' || coalesce({row}form, '')"
    " || ' ' || coalesce({row}search_keywords, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce({row}description, '') || ' ' || "
    "coalesce({row}ingredients, '')), 'C')"
)
ARTICLE_VECTOR = (
    "setweight(to_tsvector('english', coalesce({row}title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce({row}summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce({row}body, '')), 'C')"
)
PG_VECTORS = [
    ("products", PRODUCT_VECTOR, "name, brand, form, description, ingredients, search_keywords"),
    ("articles", ARTICLE_VECTOR, "title, summary, body"),
]

TOKENIZER = "porter unicode61 remove_diacritics 2"
PRODUCT_FTS_OLD = ["name", "brand", "form", "description", "ingredients"]
PRODUCT_FTS_NEW = ["name", "brand", "form", "search_keywords", "description", "ingredients"]


def _fts_triggers(fts, content, columns):
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    add = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    remove = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {content} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {content} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF id, {cols} ON {content} BEGIN {remove} {add} END",
    ]


def _product_fts(columns):
    op.execute(
        f"CREATE VIRTUAL TABLE product_fts USING fts5({', '.join(columns)}, "
        f"content='products', content_rowid='id', tokenize='{TOKENIZER}')"
    )
    for statement in _fts_triggers("product_fts", "products", columns):
        op.execute(statement)
    op.execute("INSERT INTO product_fts(product_fts) VALUES ('rebuild')")


def _drop_product_fts():
    for event in ("au", "ad", "ai"):
        op.execute(f"DROP TRIGGER IF EXISTS product_fts_{event}")
    op.execute("DROP TABLE IF EXISTS product_fts")


KEYWORDS_PG = """
UPDATE products SET search_keywords = k.words
FROM (SELECT pc.product_id AS id, string_agg(c.name, ' ' ORDER BY c.name) AS words
      FROM product_conditions AS pc JOIN conditions AS c ON c.id = pc.condition_id
      GROUP BY pc.product_id) AS k
WHERE products.id = k.id
"""
KEYWORDS_SQLITE = """
UPDATE products SET search_keywords = coalesce((
    SELECT group_concat(name, ' ') FROM (
        SELECT c.name FROM product_conditions AS pc JOIN conditions AS c ON c.id = pc.condition_id
        WHERE pc.product_id = products.id ORDER BY c.name)), '')
WHERE id IN (SELECT product_id FROM product_conditions)
"""


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column(
        "products", sa.Column("search_keywords", sa.Text(), nullable=False, server_default="")
    )
    op.create_table(
        "search_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("word", name="uq_search_words_word"),
    )
    op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)"
        )
        op.execute(KEYWORDS_PG)
        for table, vector, columns in PG_VECTORS:
            op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector")
            op.execute(
                f"CREATE FUNCTION {table}_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN NEW.search_vector := {vector.format(row='NEW.')}; RETURN NEW; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_search_vector BEFORE INSERT OR UPDATE OF {columns} "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_search_vector()"
            )
            op.execute(f"UPDATE {table} SET search_vector = {vector.format(row='')}")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search_vector)")
            # The planner's word frequencies for the new column (see shop/catalog/search.py).
            op.execute(f"ANALYZE {table}")
    elif dialect == "sqlite":
        op.execute(KEYWORDS_SQLITE)
        _drop_product_fts()
        _product_fts(PRODUCT_FTS_NEW)
        # Each word is indexed with a space either side, so that its first and last
        # letters make trigrams of their own (as pg_trgm pads words): "jont" and "joint"
        # share " jo" and "nt " though no trigram inside the words.
        op.execute("CREATE VIRTUAL TABLE search_words_trgm USING fts5(word, tokenize='trigram')")
        op.execute(
            "CREATE TRIGGER search_words_trgm_ai AFTER INSERT ON search_words BEGIN "
            "INSERT INTO search_words_trgm(rowid, word) VALUES (new.id, ' ' || new.word || ' '); "
            "END"
        )
        op.execute(
            "CREATE TRIGGER search_words_trgm_ad AFTER DELETE ON search_words BEGIN "
            "DELETE FROM search_words_trgm WHERE rowid = old.id; END"
        )
    else:
        raise RuntimeError(f"full-text search supports SQLite and PostgreSQL, not {dialect}")

    from shop.search.index import fill_vocabulary

    fill_vocabulary(op.get_bind())


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table, _vector, _columns in PG_VECTORS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search_vector ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_search_vector()")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
            op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
        # 0002's expression indexes again.
        for table, vector, _columns in PG_VECTORS:
            old = vector.format(row="")
            if table == "products":
                old = old.replace(" || ' ' || coalesce(search_keywords, '')", "")
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (({old}))")
    else:
        for event in ("ad", "ai"):
            op.execute(f"DROP TRIGGER IF EXISTS search_words_trgm_{event}")
        op.execute("DROP TABLE IF EXISTS search_words_trgm")
        _drop_product_fts()
    op.drop_table("search_synonyms")
    op.drop_table("search_words")
    if dialect == "sqlite":
        # SQLite's own DROP COLUMN (3.35+): a batch rebuild of `products` would rewrite its
        # constraints and drop its other triggers. Nothing refers to the column any more.
        op.execute("ALTER TABLE products DROP COLUMN search_keywords")
        _product_fts(PRODUCT_FTS_OLD)
    else:
        op.drop_column("products", "search_keywords")
