"""Configuration read from the environment (SPEC §2).

`load_config()` is called by the app factory, never at import time, so a test or a
CLI command can build an app with its own environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - used only in debug and tests


class ConfigError(RuntimeError):
    """The environment does not describe a shop that can safely start."""


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the only driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_config(environ: Mapping[str, str], instance_path: str) -> dict:
    """Build the settings dict from environment variables."""
    default_db = "sqlite:///" + str(Path(instance_path) / "shop.sqlite3")
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            environ.get("DATABASE_URL") or default_db
        ),
        "SECRET_KEY": environ.get("SECRET_KEY"),
        "SHOP_BASE_URL": environ.get("SHOP_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SHOP_CURRENCY": environ.get("SHOP_CURRENCY", "INR").upper(),
        "STRIPE_SECRET_KEY": environ.get("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": environ.get("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": environ.get("STRIPE_API_BASE"),
        # Seconds per Stripe attempt, retries after a failed one, and the seconds all Stripe
        # calls of one request may take together: with the defaults at most ~16 s, well
        # below gunicorn's 30 s worker timeout.
        "STRIPE_TIMEOUT": float(environ.get("STRIPE_TIMEOUT", "5")),
        "STRIPE_MAX_RETRIES": int(environ.get("STRIPE_MAX_RETRIES", "1")),
        "STRIPE_REQUEST_BUDGET": float(environ.get("STRIPE_REQUEST_BUDGET", "15")),
        "SHOP_PAYMENTS_SANDBOX": _flag(environ.get("SHOP_PAYMENTS_SANDBOX")),
        # Unpaid orders (each holding stock) one customer / one IP address may have open,
        # and how fast one visitor / one address may submit the checkout form.
        "CHECKOUT_MAX_UNPAID_PER_CUSTOMER": int(environ.get("SHOP_MAX_UNPAID_PER_CUSTOMER", "3")),
        "CHECKOUT_MAX_UNPAID_PER_IP": int(environ.get("SHOP_MAX_UNPAID_PER_IP", "8")),
        "CHECKOUT_RATE_LIMIT": environ.get("SHOP_CHECKOUT_RATE_LIMIT", "10 per minute"),
        "CHECKOUT_IP_RATE_LIMIT": environ.get("SHOP_CHECKOUT_IP_RATE_LIMIT", "60 per minute"),
        # How long a guest's signed order-status link (in the confirmation e-mail) works.
        "ORDER_LINK_MAX_AGE": 90 * 24 * 3600,
        "MAIL_BACKEND": environ.get("MAIL_BACKEND")
        or ("smtp" if environ.get("MAIL_SERVER") else "outbox"),
        "MAIL_SERVER": environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag(environ.get("MAIL_USE_TLS", "1")),
        "MAIL_FROM": environ.get("MAIL_FROM", "Remedy Shop <shop@localhost>"),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Argon2id cost (RFC 9106's second recommendation); tests may lower it for speed.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "PASSWORD_RESET_MAX_AGE": 3600,
        "PAGE_CACHE_SECONDS": int(environ.get("SHOP_PAGE_CACHE_SECONDS", "30")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "DEBUG_FROM_ENV": _flag(environ.get("FLASK_DEBUG")),
    }


def check_config(config: dict, *, debug: bool, testing: bool) -> None:
    """Fill safe development defaults or refuse to start without what production needs."""
    if not config.get("SECRET_KEY"):
        if debug or testing:
            config["SECRET_KEY"] = DEV_SECRET_KEY
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment (any long random string), "
                "or run with FLASK_DEBUG=1 for local development."
            )
    if config.get("STRIPE_SECRET_KEY") and not config.get("STRIPE_WEBHOOK_SECRET"):
        raise ConfigError("STRIPE_WEBHOOK_SECRET is required whenever STRIPE_SECRET_KEY is set.")
    if not config.get("STRIPE_SECRET_KEY") and not (
        debug or testing or config.get("SHOP_PAYMENTS_SANDBOX")
    ):
        # A forgotten key must not quietly turn a production shop into a test shop.
        raise ConfigError(
            "STRIPE_SECRET_KEY is not set, so payments would go to the built-in test sandbox. "
            "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for real payments, or "
            "SHOP_PAYMENTS_SANDBOX=1 to run with test payments on purpose."
        )
    # Secure cookies everywhere but on a developer's plain-HTTP machine.
    config.setdefault("SESSION_COOKIE_SECURE", not (debug or testing))
