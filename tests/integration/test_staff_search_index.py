"""Staff product search is answered from indexes, with no per-product aggregate."""

from __future__ import annotations

from sqlalchemy import select, text

from shop.catalog.models import Product
from shop.demo.generator import fill_catalogue
from shop.staff.products.views import product_matches
from tests.factories import make_product


def plan(db, q: str) -> str:
    stmt = select(Product.id).where(product_matches(q))
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(text(f"EXPLAIN {sql}")).scalars()
    else:
        rows = (row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    return "\n".join(rows)


def test_the_search_uses_the_sku_and_name_indexes(db):
    if db.engine.dialect.name == "postgresql":
        # A tiny, freshly filled table lets the planner walk any index (or none): give it a
        # few thousand products, vacuumed and analysed as autovacuum keeps a shop's tables
        # (a GIN index's pending list makes it look dear until then).
        fill_catalogue(db.session.connection(), products=3000, articles=5, seed=7)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE products"))
            conn.execute(text("VACUUM ANALYZE variants"))
    make_product(
        "joint-oil", name="Joint Oil", variants=[{"sku": "OIL-100", "mrp": 500, "price": 400}]
    )
    db.session.commit()
    explained = plan(db, "oil-1")
    if db.engine.dialect.name == "postgresql":
        for index in ("ix_variants_sku_trgm", "ix_products_name_trgm", "ix_products_slug_trgm"):
            assert index in explained, explained
    else:
        assert "ix_variants_sku_nocase" in explained, explained
    # no subquery run per product (the old SKU aggregate was one)
    assert "subplan" not in explained.lower() and "correlated" not in explained.lower()
    db.session.rollback()


def test_the_search_finds_by_name_slug_and_sku_start_in_any_case(app, db):
    make_product(
        "joint-oil", name="Joint Oil", variants=[{"sku": "OIL-100", "mrp": 500, "price": 400}]
    )
    make_product(
        "cold-pack", name="Cold Pack", variants=[{"sku": "PACK-1", "mrp": 500, "price": 400}]
    )
    db.session.commit()

    def found(q: str) -> list[str]:
        stmt = select(Product.slug).where(product_matches(q)).order_by(Product.slug)
        return list(db.session.scalars(stmt))

    assert found("JOINT") == found("t-oi") == found("oil-1") == found("Oil") == ["joint-oil"]
    assert found("pack") == ["cold-pack"]
    assert found("nothing") == []
