"""The page cache's contract is enforced while a cacheable page renders (issue 14).

A cached page is shared by every visitor: reading `current_user`, making a CSRF token or
flashing while it renders would hand one visitor's state to the next. Under testing and
debug that raises; in production it is logged and the page is served uncached.
"""

from __future__ import annotations

import logging

import pytest
from flask import flash, render_template_string

from shop.cache import PageContractError, cached_page

PAGE = "{% extends 'base.html' %}{% block content %}{{ body }}{% endblock %}"


def _render(app, body: str, path: str = "/contract"):
    with app.test_request_context(path):
        app.preprocess_request()
        return cached_page(lambda: render_template_string(PAGE.replace("{{ body }}", body)))


@pytest.mark.parametrize(
    "body",
    [
        "{{ current_user.is_authenticated }}",
        "{% if current_user %}signed in{% endif %}",
        "{{ csrf_token() }}",
    ],
)
def test_reading_per_visitor_state_while_caching_raises(app, db, body):
    with pytest.raises(PageContractError):
        _render(app, body)
    assert not app.extensions["page_cache"]._entries


def test_flashing_while_caching_raises(app, db):
    with app.test_request_context("/contract"), pytest.raises(PageContractError):
        cached_page(lambda: flash("Hello") or render_template_string(PAGE))


def test_reading_current_user_in_python_while_caching_raises(app, db):
    from flask_login import current_user

    with app.test_request_context("/contract"), pytest.raises(PageContractError):
        cached_page(lambda: str(current_user.is_authenticated))


def test_the_markers_are_allowed_and_the_page_is_cached(app, db):
    html = _render(app, "<form>{{ csrf_field() }}</form>")
    assert 'name="csrf_token" value="' in html and "\x00" not in html
    assert len(app.extensions["page_cache"]._entries) == 1
    (cached,) = [entry[1] for entry in app.extensions["page_cache"]._entries.values()]
    assert b"\x00csrf\x00" in cached  # the shared copy (UTF-8) holds the marker, not a token


def test_the_rule_applies_only_while_a_cacheable_page_renders(app, db):
    """After the cached page, the same request may use everything as usual."""
    from flask_login import current_user

    with app.test_request_context("/contract"):
        cached_page(lambda: render_template_string(PAGE))
        assert current_user.is_authenticated is False
        flash("fine now")


def test_in_production_a_breach_is_logged_and_the_page_not_cached(app, db, monkeypatch, caplog):
    monkeypatch.setattr(app, "testing", False)
    with caplog.at_level(logging.ERROR, logger="shop.cache"):
        html = _render(app, "[{{ current_user.is_authenticated }}]")
    assert "[False]" in html
    assert "read current_user" in caplog.text
    assert not app.extensions["page_cache"]._entries
