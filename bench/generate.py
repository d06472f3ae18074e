"""Fill a scratch database with a synthetic catalogue for the benchmark.

The schema comes from the project's real migrations (`flask_migrate.upgrade()`), the rows
from `shop.demo.generator` — the same code as `flask --app shop generate-catalogue` — which
loads 10,000 products in seconds with Core executemany inserts in one transaction.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bench import say
from shop.demo.generator import HIGH_STOCK, Catalogue, fill_catalogue


class DatabaseNotEmpty(RuntimeError):
    """The database given with --database-url already holds tables."""


# ------------------------------------------------------------------------ the database


def prepare_database(url: str, *, reset: bool) -> None:
    """Make sure `url` names an empty database, creating a PostgreSQL one if missing.

    A database that already has tables is only emptied when `reset` is true, so a
    mistyped URL can never wipe real data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            if path.exists():
                if not reset:
                    raise DatabaseNotEmpty(f"{path} already exists; pass --reset-database")
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        return
    if parsed.get_backend_name() == "postgresql":
        _create_postgres_database_if_missing(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            tables = inspect(conn).get_table_names()
            if not tables:
                return
            if not reset:
                raise DatabaseNotEmpty(
                    f"the database already has {len(tables)} tables "
                    f"({', '.join(sorted(tables)[:5])}, ...); pass --reset-database to empty it"
                )
            say(f"emptying the database ({len(tables)} tables)")
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            else:
                from sqlalchemy import MetaData

                metadata = MetaData()
                metadata.reflect(conn)
                metadata.drop_all(conn)
    finally:
        engine.dispose()


def _create_postgres_database_if_missing(url: str) -> None:
    parsed = make_url(url)
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if not exists:
                say(f"creating PostgreSQL database {parsed.database}")
                quoted = conn.dialect.identifier_preparer.quote(parsed.database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        server.dispose()


# ------------------------------------------------------------------------- generation


def generate(
    url: str,
    *,
    products: int,
    articles: int,
    seed: int = 42,
    high_stock_products: int = 100,
    high_stock: int = HIGH_STOCK,
) -> Catalogue:
    """Build the schema with the real migrations and load the catalogue.

    `high_stock_products` products (at most a quarter of them) get `high_stock` units on
    their first variant, for the checkout target.
    """
    import flask_migrate

    from shop import create_app

    started = time.perf_counter()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": False,
            "SECRET_KEY": "bench",
            "SHOP_PAYMENTS_SANDBOX": True,  # no Stripe key: generating needs no payments
            "PAGE_CACHE_SECONDS": 30,
        }
    )
    with app.app_context():
        from shop.extensions import db

        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            catalogue = fill_catalogue(
                conn,
                products=products,
                articles=articles,
                seed=seed,
                high_stock_products=high_stock_products,
                high_stock=high_stock,
            )
        catalogue.url = url
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE products"))  # before the price refresh: see
            conn.execute(text("ANALYZE variants"))  # generate-catalogue
        from shop.catalog.prices import refresh_effective_prices

        refresh_effective_prices(db.session)  # the list's stored sort prices, in SQL
        db.session.commit()
        catalogue.search_index = _rebuild_search_index(db)
        from shop.delivery.service import seed_zones

        seed_zones(db.session)  # checkout refuses pincodes no zone serves
        db.session.commit()
        from shop.demo.generate_command import tidy_up

        tidy_up(db.engine)
        db.session.remove()
        db.engine.dispose()
    catalogue.seconds = time.perf_counter() - started
    return catalogue


def _rebuild_search_index(db) -> str:
    from shop.catalog import search

    rebuild = getattr(search, "rebuild_index", None)
    if rebuild is None:
        say("shop.catalog.search.rebuild_index() does not exist yet; skipped")
        return "no rebuild_index() (search not indexed by bench)"
    started = time.perf_counter()
    rebuild()
    db.session.commit()
    return f"rebuild_index() in {time.perf_counter() - started:.1f}s"
