"""Templates' remembered URLs are the URLs `url_for` builds (shop.urlcache)."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from shop.urlcache import init_url_cache


@pytest.fixture()
def app() -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/p/<slug>", "product", lambda slug: slug)
    app.add_url_rule("/cart", "cart", lambda: "")
    init_url_cache(app)
    return app


def _cached(app: Flask):
    return app.jinja_env.globals["url_for"]


def test_the_same_urls_as_url_for_with_arguments_and_query_strings(app):
    cached = _cached(app)
    with app.test_request_context("/"):
        for endpoint, values in [
            ("static", {"filename": "css/shop.css"}),
            ("product", {"slug": "joint-pain-oil"}),
            ("product", {"slug": "joint-pain-oil", "ref": "muscle-spasm", "pos": 2}),
            ("cart", {}),
        ]:
            assert cached(endpoint, **values) == url_for(endpoint, **values)
            assert cached(endpoint, **values) == url_for(endpoint, **values)  # remembered
        assert cached("product", slug="a") != cached("product", slug="b")


def test_the_script_root_is_part_of_what_is_remembered(app):
    cached = _cached(app)
    with app.test_request_context("/"):
        assert cached("cart") == "/cart"
    with app.test_request_context("/", base_url="http://localhost/shop/"):
        assert cached("cart") == url_for("cart") == "/shop/cart"


def test_external_urls_and_calls_outside_a_request_are_built_each_time(app):
    cached = _cached(app)
    with app.test_request_context("/", base_url="https://one.example"):
        assert cached("cart", _external=True) == "https://one.example/cart"
    with app.test_request_context("/", base_url="https://two.example"):
        assert cached("cart", _external=True) == "https://two.example/cart"
    app.config["SERVER_NAME"] = "shop.example"
    with app.app_context():
        assert cached("cart") == "http://shop.example/cart"


def test_url_default_functions_are_honoured(app):
    cached = _cached(app)
    app.url_defaults(lambda endpoint, values: values.setdefault("lang", "en"))
    with app.test_request_context("/"):
        assert cached("cart") == cached("cart") == url_for("cart") == "/cart?lang=en"
