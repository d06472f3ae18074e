"""Staff product search by name, slug or SKU through indexes (trigram GIN on PostgreSQL).

Revision ID: staff_search_indexes
Revises: search_vectors
Create Date: 2026-11-29

"""

from alembic import op

revision = "staff_search_indexes"
down_revision = "search_vectors"
branch_labels = None
depends_on = None

# PostgreSQL answers `ILIKE '%text%'` from these; SQLite has no substring index, and its
# NOCASE index answers SKU prefixes (`LIKE 'text%'`), which is what staff type most.
POSTGRES = {
    "ix_products_name_trgm": "products USING gin (name gin_trgm_ops)",
    "ix_products_slug_trgm": "products USING gin (slug gin_trgm_ops)",
    "ix_variants_sku_trgm": "variants USING gin (sku gin_trgm_ops)",
}
SQLITE = {"ix_variants_sku_nocase": "variants (sku COLLATE NOCASE)"}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        indexes = POSTGRES
    else:
        indexes = SQLITE
    for name, target in indexes.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def downgrade():
    names = POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE
    for name in names:
        op.execute(f"DROP INDEX IF EXISTS {name}")
