"""Full-text search: FTS5 tables and triggers on SQLite, GIN indexes on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

See shop/catalog/search.py for how the two engines are queried. The PostgreSQL index
expressions below must stay the same as PRODUCT_INDEX_SQL and ARTICLE_INDEX_SQL there
(tests/integration/test_search.py checks), or the planner cannot use the indexes.

SQLite note: the triggers live on `products` and `articles`. A later migration that
rebuilds one of those tables with batch_alter_table (copy, drop, rename) drops its
triggers with the old table, so such a migration must create them again (the statements
are in SQLITE_TRIGGERS below) and then run the FTS5 'rebuild' command.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


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

TOKENIZER = "porter unicode61 remove_diacritics 2"

# (FTS table, content table, indexed columns)
SQLITE_FTS = [
    ('product_fts', 'products', ['name', 'brand', 'form', 'description', 'ingredients']),
    ('article_fts', 'articles', ['title', 'summary', 'body']),
]


def _sqlite_triggers(fts, content, columns):
    """The external-content pattern: add new values, 'delete' old values, both on update."""
    cols = ', '.join(columns)
    new = ', '.join(f'new.{c}' for c in columns)
    old = ', '.join(f'old.{c}' for c in columns)
    add = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    remove = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {content} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {content} BEGIN {remove} END",
        # Only when a searched column (or the id) is in the UPDATE's SET list, so stock,
        # price and `active` changes leave the index alone.
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF id, {cols} ON {content} "
        f"BEGIN {remove} {add} END",
    ]


SQLITE_TRIGGERS = {fts: _sqlite_triggers(fts, content, columns)
                   for fts, content, columns in SQLITE_FTS}


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(f"CREATE INDEX ix_products_search ON products USING gin (({PRODUCT_INDEX_SQL}))")
        op.execute(f"CREATE INDEX ix_articles_search ON articles USING gin (({ARTICLE_INDEX_SQL}))")
    elif dialect == 'sqlite':
        for fts, content, columns in SQLITE_FTS:
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
                f"content='{content}', content_rowid='id', tokenize='{TOKENIZER}')"
            )
            for statement in SQLITE_TRIGGERS[fts]:
                op.execute(statement)
            # Index the rows that are already there.
            op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    else:
        raise RuntimeError(f"full-text search supports SQLite and PostgreSQL, not {dialect}")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_articles_search")
        op.execute("DROP INDEX IF EXISTS ix_products_search")
    elif dialect == 'sqlite':
        for fts, _content, _columns in reversed(SQLITE_FTS):
            for event in ('au', 'ad', 'ai'):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
