"""Remedy Shop: health articles and the products that help, side by side."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, request

from shop.config import check_config, load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build an application; `config` overrides what the environment says."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(load_config(os.environ, app.instance_path))
    app.config.update(config or {})
    check_config(app.config, debug=app.debug, testing=app.testing)
    os.makedirs(app.instance_path, exist_ok=True)

    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("stripe").setLevel(logging.WARNING)  # it logs every request at INFO


def register_extensions(app: Flask) -> None:
    from shop import models  # noqa: F401 - every model registered before Alembic looks
    from shop.accounts.service import load_user
    from shop.attribution.counter import init_counts
    from shop.cache import init_page_cache
    from shop.extensions import csrf, db, limiter, login_manager, migrate
    from shop.payments.gateway import init_payments
    from shop.security import init_request_edge, init_security_headers

    init_request_edge(app)  # first: its checks run before any other hook touches the database
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    limiter.request_filter(lambda: request.method in ("GET", "HEAD"))  # limits guard POSTs
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.user_loader(load_user)
    init_page_cache(app)
    init_counts(app)
    init_payments(app)
    init_security_headers(app)  # after payments: the CSP names the checkout page's origin


def register_blueprints(app: Flask) -> None:
    from shop.accounts.views import bp as accounts_bp
    from shop.cart.views import bp as cart_bp
    from shop.catalog.views import bp as catalog_bp
    from shop.checkout.views import bp as checkout_bp
    from shop.content.views import bp as content_bp
    from shop.core_views import bp as core_bp
    from shop.delivery.views import bp as delivery_bp
    from shop.help.views import bp as help_bp
    from shop.invoices.views import bp as invoices_bp
    from shop.payments.webhooks import bp as webhooks_bp
    from shop.prescriptions.staff_views import bp as prescriptions_staff_bp
    from shop.prescriptions.views import bp as prescriptions_bp
    from shop.questions.views import bp as questions_bp
    from shop.questions.views import doctor_bp
    from shop.staff.views import bp as staff_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(delivery_bp)
    app.register_blueprint(help_bp)
    app.register_blueprint(invoices_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(prescriptions_bp)
    app.register_blueprint(prescriptions_staff_bp)
    app.register_blueprint(questions_bp)
    app.register_blueprint(doctor_bp)


def register_template_helpers(app: Flask) -> None:
    from shop.localtime import localtime, shop_zone
    from shop.pricing.money import format_money, percent_off
    from shop.seo import init_seo
    from shop.storage import image_url
    from shop.urlcache import init_url_cache

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals["shop_zone_name"] = lambda: shop_zone().key
    app.jinja_env.globals["percent_off"] = percent_off
    app.jinja_env.globals["image_url"] = image_url
    init_seo(app)
    init_url_cache(app)


def register_error_handlers(app: Flask) -> None:
    from shop.errors import init_error_handlers

    init_error_handlers(app)


def register_commands(app: Flask) -> None:
    from shop.cli import init_commands

    init_commands(app)
