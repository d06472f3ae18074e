"""The migrations build exactly the models' schema, and the database keeps the rules."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from shop.catalog.models import Variant
from shop.catalog.search import is_search_object
from tests.factories import make_product


def test_migrations_match_models(db):
    """What `flask db upgrade` built (the session's schema) is what the models declare."""

    def include(obj, name, type_, reflected, compare_to):
        return not is_search_object(name or "", type_)

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_catalogue_tables_are_vacuumed_after_two_percent_changed(db, is_postgres):
    """A big CSV import or sale leaves dead rows that searches would read through until
    autovacuum cleans them; the catalogue tables ask for it at 2%, not PostgreSQL's 20%."""
    if not is_postgres:
        pytest.skip("autovacuum settings are PostgreSQL's")
    options = dict(
        db.session.execute(
            text(
                "SELECT c.relname, c.reloptions FROM pg_class AS c "
                "WHERE c.relname IN ('products', 'variants') AND c.relkind = 'r'"
            )
        ).all()
    )
    for table in ("products", "variants"):
        assert "autovacuum_vacuum_scale_factor=0.02" in options[table]
        assert "autovacuum_analyze_scale_factor=0.02" in options[table]


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"price": 80000}, "price_not_above_mrp"),
        ({"stock": -1}, "stock_not_negative"),
        ({"mrp": 0, "price": 0}, "mrp_positive"),
        ({"price": 0}, "price_positive"),
    ],
)
def test_database_refuses_broken_prices_and_stock(db, values, constraint):
    product = make_product(mrp=79900, price=71900)
    db.session.commit()
    with pytest.raises(IntegrityError) as info:
        db.session.execute(
            update(Variant).where(Variant.id == product.variants[0].id).values(**values)
        )
        db.session.flush()
    db.session.rollback()
    assert constraint in str(info.value) or "CHECK" in str(info.value).upper()
    assert db.session.get(Variant, product.variants[0].id).price == 71900


def test_variant_validate_explains_each_rule():
    assert Variant(mrp=79900, price=71900, stock=0).validate() == {}
    assert "price" in Variant(mrp=100, price=200, stock=1).validate()
    assert "stock" in Variant(mrp=100, price=50, stock=-1).validate()
    assert "mrp" in Variant(mrp=0, price=50, stock=1).validate()
