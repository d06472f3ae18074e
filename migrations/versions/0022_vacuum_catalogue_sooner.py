"""Vacuum the catalogue tables after 2% of their rows changed, not 20% (PostgreSQL).

A CSV import, a sale starting on a big category or a price refresh rewrites thousands
of product and variant rows at once. PostgreSQL's default waits for 20% of a table to
be dead before autovacuum cleans it, so a 10,000-row import of a 100,000-product shop
left its 10,000 dead rows in place for good, and every scan that passed them read them
(a search for a common word reads the products table in order until it has enough
hits). At 2% autovacuum gets to them within a minute or so of the change.
SQLite has no autovacuum of this kind: nothing to do there.

Revision ID: vacuum_catalogue_sooner
Revises: job_claims_condition_pins
Create Date: 2026-11-29

"""

from alembic import op

revision = "vacuum_catalogue_sooner"
down_revision = "job_claims_condition_pins"
branch_labels = None
depends_on = None

TABLES = ("products", "variants")
SETTINGS = ("autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET ({', '.join(f'{s} = 0.02' for s in SETTINGS)})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(SETTINGS)})")
