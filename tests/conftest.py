"""Fixtures: one app and schema per test session, a clean database for every test.

The schema is built by running the real Alembic migrations, on SQLite by default or on
the database named by TEST_DATABASE_URL (PostgreSQL in CI).
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, event, text
from werkzeug.serving import make_server

from shop import create_app
from shop.cache import clear_process_caches
from shop.config import normalise_database_url
from shop.extensions import db as _db
from shop.extensions import limiter
from shop.payments.sandbox import SandboxServer
from tests.payments import WEBHOOK_SECRET, SandboxControl

IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests assert behaviour, never speed: a loaded CI machine must not fail them on
# Hypothesis's per-example deadline (SPEC §9 measures speed with `make bench`).
hypothesis_settings.register_profile("shop", deadline=None)
hypothesis_settings.load_profile("shop")


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _reset_schema(url: str) -> None:
    """Start from an empty database so the migrations run from the first one."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests run as in production: each in its own app context,
    with its own `g` and database session, apart from the test's own session."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.expire_all()  # let the test see what the request committed
        return response


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def sandbox_server():
    """The project's Stripe-compatible sandbox on a free local port, for the whole run."""
    server = SandboxServer(
        webhook_url=None, webhook_secret=WEBHOOK_SECRET, retry_delays=(0.05, 0.1, 0.2, 0.4)
    ).start()
    yield server
    server.stop()


@pytest.fixture()
def sandbox(sandbox_server) -> SandboxControl:
    control = SandboxControl(sandbox_server.url)
    control.reset()
    return control


@pytest.fixture(scope="session")
def app(database_url, sandbox_server):
    _reset_schema(database_url)
    application = create_app(
        {
            "TESTING": True,
            "STRIPE_API_BASE": sandbox_server.url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_TIMEOUT": 2.0,
            "STRIPE_REQUEST_BUDGET": 5.0,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SHOP_BASE_URL": "http://shop.test",
            # Argon2id stays the algorithm; a low cost keeps the suite fast.
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()


def _clean_tables(connection) -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables) if t.name != "site_versions"]
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            connection.execute(text(f"DELETE FROM {name}"))
    connection.execute(text("UPDATE site_versions SET value = 0"))


@pytest.fixture()
def db(app) -> Iterator:
    """The database, emptied after the test; yields Flask-SQLAlchemy's `db`."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as connection:
            _clean_tables(connection)
    clear_process_caches(app)
    limiter.reset()


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture()
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture()
def count_queries(app, db):
    """Count SQL statements run inside a `with count_queries() as counter:` block."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
                counter.statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture()
def live_server(app, db):
    """The app served over real HTTP on a free local port, in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def csrf_token_for(client) -> str:
    """Open a page as this client and read its CSRF token, as a browser form would."""
    html = client.get("/cart").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


@pytest.fixture()
def csrf(client):
    return csrf_token_for(client)
