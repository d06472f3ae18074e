"""Configuration read from the environment (SPEC §2).

`load_config()` is called by the app factory, never at import time, so a test or a
CLI command can build an app with its own environment.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from shop.localtime import DEFAULT_ZONE, UnknownZone, load_zone
from shop.pricing.rounding import parse_rounding

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - used only in debug and tests

# The seller printed on tax invoices when none is configured: clearly fictitious, in
# Karnataka (29), with a well-formed GSTIN (its 15th character is the real check digit).
DEMO_SELLER = {
    "SHOP_SELLER_NAME": "Remedy Shop Demo Pvt. Ltd. (fictitious company)",
    "SHOP_SELLER_ADDRESS": "12 Example Road, Demo Layout, Bengaluru 560001, Karnataka",
    "SHOP_SELLER_GSTIN": "29ABCDE1234F1ZW",
    "SHOP_SELLER_STATE": "29",
}

log = logging.getLogger(__name__)


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


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number ≥ 0, not {raw!r}.")
    return int(raw)


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
        # Staff type and read times in this zone; the database keeps UTC (shop/localtime.py).
        "SHOP_TIMEZONE": environ.get("SHOP_TIMEZONE", "").strip() or DEFAULT_ZONE,
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
        # Redis unreachable: count in this process meanwhile (logged) rather than answer 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Accept per-process rate-limit counters under several workers (benchmarks only).
        "SHOP_ALLOW_PER_PROCESS_LIMITS": _flag(environ.get("SHOP_ALLOW_PER_PROCESS_LIMITS")),
        "SHOP_TRUSTED_PROXIES": _count(environ, "SHOP_TRUSTED_PROXIES", 0),
        # The seller on tax invoices (§12); empty ones are filled or refused by check_config.
        **{name: environ.get(name, "").strip() for name in DEMO_SELLER},
        # Argon2id cost (RFC 9106's second recommendation); tests may lower it for speed.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "PASSWORD_RESET_MAX_AGE": 3600,
        "PAGE_CACHE_SECONDS": int(environ.get("SHOP_PAGE_CACHE_SECONDS", "30")),
        # Byte budget of the rendered-page cache, per process (`shop.cache.PageCache`).
        "PAGE_CACHE_BYTES": _count(environ, "SHOP_PAGE_CACHE_MB", 64) * 1024 * 1024,
        # Sale prices are rounded down to this step (`shop.pricing.rounding`).
        "SHOP_SALE_ROUNDING": environ.get("SHOP_SALE_ROUNDING", "rupee"),
        # Article views, clicks and adds are counted in memory and written by each process
        # this often (seconds; 0 = only when asked, as in tests), or sooner at this many.
        "SHOP_STATS_FLUSH_SECONDS": float(environ.get("SHOP_STATS_FLUSH_SECONDS", "10")),
        "SHOP_STATS_FLUSH_AT": int(environ.get("SHOP_STATS_FLUSH_AT", "5000")),
        # Uploaded images: local disk (default) or an S3-compatible bucket (shop/storage.py).
        "SHOP_STORAGE": environ.get("SHOP_STORAGE", "local").strip().lower() or "local",
        "SHOP_UPLOADS_FOLDER": environ.get("SHOP_UPLOADS_FOLDER") or None,
        "SHOP_S3_BUCKET": environ.get("SHOP_S3_BUCKET"),
        "SHOP_S3_PREFIX": environ.get("SHOP_S3_PREFIX", ""),
        "SHOP_S3_ENDPOINT_URL": environ.get("SHOP_S3_ENDPOINT_URL") or None,
        "SHOP_S3_REGION": environ.get("SHOP_S3_REGION") or None,
        "SHOP_S3_PUBLIC_URL": environ.get("SHOP_S3_PUBLIC_URL") or None,
        # Prescriptions (§15): a private area of the same storage, never served publicly.
        "SHOP_PRIVATE_UPLOADS_FOLDER": environ.get("SHOP_PRIVATE_UPLOADS_FOLDER") or None,
        "SHOP_S3_PRIVATE_PREFIX": environ.get("SHOP_S3_PRIVATE_PREFIX") or "private",
        # Days a prescription order may wait for a pharmacist before `expire-orders`
        # cancels it: inside the 7 days a card authorisation lasts.
        "SHOP_RX_REVIEW_DAYS": _count(environ, "SHOP_RX_REVIEW_DAYS", 5),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # Background jobs: "worker" (run by `flask --app shop run-jobs`) or "inline" (run
        # in the request that queues them, for a shop without a worker process).
        "SHOP_JOBS": environ.get("SHOP_JOBS", "worker").strip().lower() or "worker",
        # Seconds a running job's worker may stay silent (no claim, no progress) before
        # another worker takes the job over: it is taken to have died.
        "SHOP_JOB_CLAIM_TIMEOUT": _count(environ, "SHOP_JOB_CLAIM_TIMEOUT", 15 * 60),
        # CSV files larger than this are imported by a background job.
        "SHOP_IMPORT_INLINE_BYTES": int(
            environ.get("SHOP_IMPORT_INLINE_BYTES", str(2 * 1024 * 1024))
        ),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # None: follow the scheme of SHOP_BASE_URL (see `check_config`).
        "SESSION_COOKIE_SECURE": (
            _flag(environ["SESSION_COOKIE_SECURE"]) if "SESSION_COOKIE_SECURE" in environ else None
        ),
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
    if not 1 <= config.get("SHOP_RX_REVIEW_DAYS", 5) <= 6:
        raise ConfigError(
            "SHOP_RX_REVIEW_DAYS must be 1–6: a card authorisation lapses after 7 days."
        )
    try:
        load_zone(config.get("SHOP_TIMEZONE") or DEFAULT_ZONE)
    except UnknownZone as error:
        raise ConfigError(str(error)) from None
    if config.get("SHOP_JOBS", "worker") not in ("worker", "inline"):
        raise ConfigError("SHOP_JOBS must be worker or inline.")
    if config.get("SHOP_JOB_CLAIM_TIMEOUT", 900) < 60:
        raise ConfigError("SHOP_JOB_CLAIM_TIMEOUT must be at least 60 seconds.")
    if config.get("SHOP_STORAGE", "local") not in ("local", "s3"):
        raise ConfigError("SHOP_STORAGE must be local or s3.")
    if config.get("SHOP_STORAGE") == "s3" and not config.get("SHOP_S3_BUCKET"):
        raise ConfigError("SHOP_S3_BUCKET is required when SHOP_STORAGE=s3.")
    try:
        parse_rounding(str(config.get("SHOP_SALE_ROUNDING", "rupee")))
    except ValueError as error:
        raise ConfigError(str(error)) from None
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
    if config.get("SESSION_COOKIE_SECURE") is None:
        # A browser sends a Secure cookie back only over HTTPS: on a plain-HTTP deployment
        # it would silently drop every session (and cart), so follow the site's scheme.
        config["SESSION_COOKIE_SECURE"] = urlsplit(config["SHOP_BASE_URL"]).scheme == "https"
    check_seller(config, debug=debug, testing=testing)
    if not (debug or testing):
        check_rate_limit_storage(config, os.environ, sys.argv)


def seller_problem(config: Mapping[str, str]) -> str | None:
    """What is wrong with the configured seller (GSTIN format and check digit, state)."""
    from shop.pricing.gst import gstin_problem

    gstin = config["SHOP_SELLER_GSTIN"].upper()
    problem = gstin_problem(gstin)
    if problem:
        return f"SHOP_SELLER_GSTIN {gstin!r} is not a valid GSTIN: {problem}."
    state = config["SHOP_SELLER_STATE"]
    if not (len(state) == 2 and state.isdigit()):
        return f"SHOP_SELLER_STATE must be a two-digit GST state code such as 29, not {state!r}."
    if gstin[:2] != state:
        return f"SHOP_SELLER_GSTIN {gstin!r} belongs to state {gstin[:2]}, not {state}."
    return None


def check_seller(config: dict, *, debug: bool, testing: bool) -> None:
    """Fill the fictitious demo seller where allowed, and refuse a malformed one."""
    unset = [name for name in DEMO_SELLER if not config.get(name)]
    if unset:
        if not (debug or testing or config.get("SHOP_PAYMENTS_SANDBOX")):
            log.warning(
                "%s not set: tax invoices name the fictitious demo seller. Set the seller's "
                "name, address, GSTIN and state code before taking real orders.",
                ", ".join(unset),
            )
        for name in DEMO_SELLER:  # all or nothing: never half a real seller
            config[name] = DEMO_SELLER[name]
    config["SHOP_SELLER_GSTIN"] = config["SHOP_SELLER_GSTIN"].upper()
    problem = seller_problem(config)
    if problem:
        if not (debug or testing):
            raise ConfigError(problem)
        log.warning("%s Invoices will show it as it is.", problem)


def worker_count(environ: Mapping[str, str], argv: list[str]) -> int | None:
    """How many server processes will share this configuration, when we can tell.

    gunicorn takes `-w/--workers` (also through GUNICORN_CMD_ARGS) and defaults to
    WEB_CONCURRENCY; None means "unknown" (another server, or a gunicorn config file).
    """
    args = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    if argv and Path(argv[0]).name.startswith("gunicorn"):
        args += argv[1:]
    workers = None
    for i, arg in enumerate(args):
        value = None
        if arg in ("-w", "--workers") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--workers="):
            value = arg.partition("=")[2]
        elif arg.startswith("-w") and len(arg) > 2:
            value = arg[2:]
        if value is not None and value.isdigit():
            workers = int(value)
    if workers is None and environ.get("WEB_CONCURRENCY", "").strip().isdigit():
        workers = int(environ["WEB_CONCURRENCY"])
    return workers


def check_rate_limit_storage(config: dict, environ: Mapping[str, str], argv: list[str]) -> None:
    """Refuse per-process (`memory://`) rate-limit counters where several processes serve.

    Each worker would count on its own, multiplying every limit by the number of workers
    (and by the number of app servers): login and coupon throttling need shared storage.
    """
    if not config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return
    if config.get("SHOP_ALLOW_PER_PROCESS_LIMITS"):
        return
    workers = worker_count(environ, argv)
    if workers is not None and workers > 1:
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI is memory:// but {workers} workers will run: each would "
            "count sign-in and coupon attempts on its own. Point it at shared storage "
            "(e.g. redis://127.0.0.1:6379/0)."
        )
    log.warning(
        "RATELIMIT_STORAGE_URI is memory://: rate limits are counted per process. That is "
        "only right for a single worker on a single server; set it to redis://… otherwise."
    )
