"""The app factory's refusals, the error pages and their rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop import create_app
from shop.catalog.models import Category
from shop.config import ConfigError
from shop.extensions import db as _db


def test_refuses_to_start_without_secret_key_outside_debug(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_debug_and_tests_get_a_development_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert create_app({"TESTING": True}).config["SECRET_KEY"]
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app()
    assert app.config["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("base_url", "explicit", "secure"),
    [
        ("https://shop.example", None, True),
        ("http://10.0.0.5:8000", None, False),  # plain HTTP on a private network keeps carts
        ("http://10.0.0.5:8000", "1", True),
        ("https://shop.example", "0", False),
    ],
)
def test_the_secure_cookie_flag_follows_the_base_url(monkeypatch, base_url, explicit, secure):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SHOP_PAYMENTS_SANDBOX", "1")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("SHOP_BASE_URL", base_url)
    if explicit is None:
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", explicit)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_real_stripe_key_needs_a_webhook_secret(monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_123")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        create_app({"TESTING": True})


def test_database_url_is_normalised_to_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_a_crash_rolls_back_and_shows_the_500_page(database_url, db, monkeypatch, caplog):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SHOP_PAYMENTS_SANDBOX", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/boom")
    def boom():
        _db.session.add(Category(slug="half-written", name="Half"))
        _db.session.flush()
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)
    assert any("Exception on /boom" in r.message for r in caplog.records)
    with app.app_context():
        count = _db.session.scalar(
            select(func.count()).select_from(Category).where(Category.slug == "half-written")
        )
        _db.engine.dispose()
    assert count == 0


def test_405_is_a_clear_4xx(client):
    response = client.post("/products/")
    assert response.status_code in (400, 405)


def test_a_real_key_turns_the_sandbox_off(database_url, db, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_real_looking")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_real")
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["PAYMENTS_SANDBOX"] is False
    assert app.config.get("STRIPE_API_BASE") is None  # the stripe library's own default
    with app.app_context():
        html = app.test_client().get("/cart").get_data(as_text=True)
        csp = app.test_client().get("/cart").headers["Content-Security-Policy"]
        _db.session.remove()
        _db.engine.dispose()
    assert "no real money" not in html
    assert "form-action 'self' https://checkout.stripe.com" in csp


def test_without_a_key_the_sandbox_banner_shows(client, db):
    html = client.get("/cart").get_data(as_text=True)
    assert "Test payments — no real money" in html
