"""The request edge: control characters refused before any view, private pages not stored.

The fuzz tests walk every route in `app.url_map` — GET and POST, with a valid CSRF token,
signed in as an admin for /staff/ — so a route added later is covered without editing
this file. Run on SQLite and on PostgreSQL (which cannot store NUL at all).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shop.accounts.service import create_user
from shop.checkout.models import Order
from shop.demo import seed_demo
from shop.extensions import limiter
from shop.security import multiline_fields
from tests.conftest import csrf_token_for
from tests.factories import DEFAULT_PASSWORD, make_doctor, make_user
from tests.helpers import ADDRESS, log_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ADMIN = "admin@example.com"
DOCTOR = "doctor@example.com"


def form_field_names(app) -> list[str]:
    """Every field name a form of the shop posts: WTForms fields and template inputs."""
    names = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names |= {n for n, v in vars(form).items() if hasattr(v, "field_class")}
    for template in TEMPLATES.rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_]+)"', template.read_text()))
    return sorted(names - {"csrf_token"})


@pytest.fixture()
def shop(app, db, client, sandbox):
    """Demo data, one placed order, and an admin's client beside the anonymous one."""
    seed_demo(db.session)
    make_user(ADMIN, role="admin")
    create_user(DOCTOR, DEFAULT_PASSWORD, role="doctor", doctor_id=make_doctor("dr-fuzz").id)
    db.session.commit()
    token = csrf_token_for(client)
    client.post("/cart/add", data={"csrf_token": token, "variant_id": "1", "quantity": "1"})
    placed = client.post(
        "/checkout",
        data={"csrf_token": token, "email": "fuzz@example.com", "acknowledge": "yes", **ADDRESS},
    )
    assert placed.status_code == 303, placed.get_data(as_text=True)[-2000:]
    number = db.session.scalar(select(Order.number))
    assert number, "the fixture could not place an order"
    admin = app.test_client()
    admin.token = log_in(admin, ADMIN)
    doctor = app.test_client()
    doctor.token = log_in(doctor, DOCTOR)
    client.token = csrf_token_for(client)
    return {"number": number, "admin": admin, "doctor": doctor, "guest": client}


def _placeholder(name: str, converter: str, number: str):
    if converter == "IntegerConverter":
        return 1
    return {"number": number, "token": "not-a-token", "filename": "x.png"}.get(name, "x")


def route_requests(app, number: str) -> list[tuple[str, str, str, dict]]:
    """(method, rule, url, arguments) for every route, with real-looking arguments."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            args = {
                name: _placeholder(name, type(conv).__name__, number)
                for name, conv in rule._converters.items()
            }
            url = url_for(rule.endpoint, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule, url, args))
    return found


def _client_for(shop, rule: str):
    """Staff pages as an admin, the doctors' inbox as a doctor, the rest as a guest."""
    if rule.startswith("/staff"):
        return shop["admin"]
    return shop["doctor"] if rule.startswith("/doctor") else shop["guest"]


class Crashed:
    """What a request that raised looks like here (tests propagate exceptions)."""

    def __init__(self, error: Exception) -> None:
        self.status_code = 500
        self.error = error

    def __repr__(self) -> str:
        return f"500 {self.error!r}"[:300]


def _send(client, method: str, url: str, data: dict | None = None, query: dict | None = None):
    try:
        if method == "GET":
            return client.get(url, query_string=query)
        data = {"csrf_token": client.token, **(data or {})}
        return client.post(url, query_string=query, data=data)
    except Exception as error:  # noqa: BLE001 - reported by the test, with the URL
        from shop.extensions import db as _db

        _db.session.rollback()
        return Crashed(error)


def _signed_in_again(shop) -> None:
    """Routes like logout end a session; sign in again for the next route."""
    if shop["admin"].get("/staff/").status_code != 200:
        shop["admin"].token = log_in(shop["admin"], ADMIN)
    if shop["doctor"].get("/doctor/").status_code != 200:
        shop["doctor"].token = log_in(shop["doctor"], DOCTOR)


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\x7f", "\x85", "a\nb"])
def test_control_characters_are_400_on_every_route(app, shop, monkeypatch, bad):
    monkeypatch.setattr(limiter, "enabled", False)  # every request reaches the edge check
    fields = form_field_names(app)
    text_fields = multiline_fields()
    problems = []
    for method, rule, url, args in route_requests(app, shop["number"]):
        client = _client_for(shop, rule)
        attempts = [("query", _send(client, method, url, query={"q": bad, "page": bad}))]
        if method == "POST":
            data = {name: bad for name in fields if not (bad == "a\nb" and name in text_fields)}
            attempts.append(("form", _send(client, method, url, data=data)))
        text_args = [name for name, value in args.items() if isinstance(value, str)]
        if text_args:
            with app.test_request_context():
                bad_url = url_for(
                    rule_endpoint(app, rule), **{**args, text_args[0]: "x" + bad + "y"}
                )
            attempts.append(("path", _send(client, method, bad_url)))
        for part, response in attempts:
            expected = 400
            if part == "form" and rule == "/stripe/webhook":
                expected = response.status_code if response.status_code < 500 else 400
            if response.status_code != expected:
                problems.append((method, url, part, response.status_code))
        _signed_in_again(shop)
    assert not problems


def rule_endpoint(app, rule_text: str) -> str:
    return next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule_text)


NASTY = ["", " ", "'\";--", "-1", "0", "1e999", "99999999999999999999", "ü€😀", "x" * 3000]


@pytest.mark.parametrize("value", NASTY)
def test_no_route_answers_500_to_odd_values(app, shop, monkeypatch, value):
    monkeypatch.setattr(limiter, "enabled", False)
    fields = form_field_names(app)
    failures = []
    for method, rule, url, _ in route_requests(app, shop["number"]):
        if rule == "/account/logout":
            continue  # signs the admin out; covered by the test above
        client = _client_for(shop, rule)
        responses = [_send(client, method, url, query={"q": value, "page": value})]
        if method == "POST":
            responses.append(_send(client, method, url, data=dict.fromkeys(fields, value)))
        failures += [(method, url, r) for r in responses if r.status_code >= 500]
        _signed_in_again(shop)
    assert not failures


def test_tabs_and_line_breaks_are_fine_in_text_areas(app, shop):
    assert {"body", "description", "warnings", "summary"} <= multiline_fields()
    assert "email" not in multiline_fields() and "name" not in multiline_fields()
    admin = shop["admin"]
    page = admin.get("/staff/conditions/new")
    assert page.status_code == 200
    response = admin.post(
        "/staff/conditions/new",
        data={"csrf_token": admin.token, "name": "Tab\tname", "description": "a\r\n\tb"},
    )
    assert response.status_code == 400  # a tab in a one-line field is refused
    response = admin.post(
        "/staff/conditions/new",
        data={
            "csrf_token": admin.token,
            "name": "Knee pain",
            "slug": "knee-pain",
            "description": "Line one.\r\n\tLine two.",
        },
    )
    assert response.status_code < 400


def test_a_refused_request_touches_no_database(app, db, client, count_queries):
    csrf_token_for(client)
    with count_queries() as counter:
        response = client.get("/products/joint%00oil?q=x")
    assert response.status_code == 400
    assert "Control characters" in response.get_data(as_text=True)
    assert counter.count == 0


# --- Cache-Control: no-store -------------------------------------------------------------------


PRIVATE_PAGES = [
    ("guest", "/cart"),
    ("guest", "/checkout"),
    ("guest", "/account/login"),
    ("guest", "/account/register"),
    ("guest", "/account/password-reset"),
    ("customer", "/account/"),
    ("customer", "/account/orders"),
    ("customer", "ORDER"),
    ("admin", "/staff/"),
    ("admin", "/staff/orders/"),
    ("admin", "/staff/products/"),
    ("admin", "/staff/products/export.csv"),
]


@pytest.mark.parametrize(("who", "path"), PRIVATE_PAGES)
def test_private_pages_are_not_stored(app, shop, who, path):
    clients = {"guest": shop["guest"], "admin": shop["admin"]}
    if who == "customer":
        customer = app.test_client()
        make_user("buyer@example.com")
        from shop.extensions import db as _db

        _db.session.commit()
        log_in(customer, "buyer@example.com")
        clients["customer"] = customer
    if path == "ORDER":
        from shop.checkout.service import status_key

        order = _order(shop["number"])
        path = f"/account/orders/{order.number}?key={status_key(order)}"
    response = clients[who].get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


def _order(number):
    from shop.extensions import db as _db

    return _db.session.scalar(select(Order).where(Order.number == number))


def test_redirects_and_refusals_of_private_pages_are_not_stored(client, db, csrf):
    response = client.post("/cart/update", data={"csrf_token": csrf, "line_id": "x"})
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/account/orders").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/products/", "/articles/", "/search?q=oil", "/healthz"])
def test_public_pages_stay_cacheable(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_the_doctors_inbox_and_the_question_form_are_not_stored(app, client, db):
    from shop.accounts.service import create_user
    from tests.factories import make_doctor

    doctor = make_doctor("dr-edge")
    create_user("dr-edge@example.com", "a calm blue river", role="doctor", doctor_id=doctor.id)
    db.session.commit()
    assert client.get("/ask").headers["Cache-Control"] == "no-store"
    log_in(client, "dr-edge@example.com", "a calm blue river")
    inbox = client.get("/doctor/")
    assert inbox.status_code == 200
    assert inbox.headers["Cache-Control"] == "no-store"


# --- the rule itself, on any text ---------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_a_query_value_is_refused_exactly_when_it_holds_a_control_character(client, db, text):
    status = client.get("/products/", query_string={"q": text}).status_code
    assert status == (400 if _has_control(text) else 200)


def _security_hook(app):
    (hook,) = [
        f
        for f in app.after_request_funcs[None]
        if getattr(f, "__name__", "") == "add_security_headers"
    ]
    return hook


def test_security_headers_are_sent_once_each_and_hsts_only_over_https(client):
    headers = client.get("/healthz").headers
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert len(headers.getlist(name)) == 1
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers
    secure = client.get("/healthz", base_url="https://shop.example").headers
    assert len(secure.getlist("Strict-Transport-Security")) == 1


def test_a_header_the_view_set_itself_is_kept(app):
    from flask import Response

    with app.test_request_context("/healthz"):
        response = Response("x", headers={"content-security-policy": "default-src 'none'"})
        headers = _security_hook(app)(response).headers
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
