"""Accounts and the security baseline (SPEC §8): each rule with a test that fails without it."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import url_for
from sqlalchemy import func, select

from shop import create_app
from shop.accounts.models import User
from shop.accounts.passwords import verify_password
from shop.extensions import db as _db
from shop.mail import OutboxMessage
from tests.conftest import csrf_token_for
from tests.factories import DEFAULT_PASSWORD, make_product, make_user

GOOD_PASSWORD = "a calm blue river"


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def register(client, email="new@example.com", password=GOOD_PASSWORD, confirm=None, **extra):
    data = {
        "csrf_token": csrf_token_for(client),
        "email": email,
        "password": password,
        "confirm": password if confirm is None else confirm,
        **extra,
    }
    return client.post("/account/register", data=data)


def page_without_tokens(response, name: str) -> str:
    """The page with `name` and the CSRF tokens (which carry a timestamp) blanked out."""
    html = response.get_data(as_text=True).replace(name, "NAME")
    return re.sub(r'(csrf-token" content|name="csrf_token" type="hidden" value)="[^"]+"', "", html)


def login(client, email, password=DEFAULT_PASSWORD, next_=None):
    data = {"csrf_token": csrf_token_for(client), "email": email, "password": password}
    url = "/account/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data=data)


def logout(client):
    return client.post("/account/logout", data={"csrf_token": csrf_token_for(client)})


# --- registration -------------------------------------------------------------------------


def test_register_creates_a_customer_with_an_argon2id_hash_and_mails_them(client, db):
    response = register(client, email="New@Example.com")
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert user.email == "new@example.com" and user.role == "customer"
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    mail = db.session.scalars(select(OutboxMessage)).one()
    assert mail.to == "new@example.com" and "account is ready" in mail.body
    assert "http://shop.test/account/login" in mail.body
    assert client.get("/account/").status_code == 302  # not signed in by the form alone
    assert login(client, "new@example.com", GOOD_PASSWORD).status_code == 303
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "valid e-mail"),
        ({"email": ""}, "Enter your e-mail"),
        ({"email": "a@" + "b" * 300 + ".com"}, ""),
        ({"password": "short"}, "at least 10"),
        ({"password": "password123"}, "most common"),
        ({"password": "qwerty12345"}, "most common"),
        ({"password": "iloveyou1"}, "most common"),
        ({"password": "aaaaaaaaaaaa"}, "too easy"),
        ({"password": "x" * 129}, "at most 128"),
        ({"confirm": "a calm blue ocean"}, "do not match"),
    ],
)
def test_bad_registrations_are_422_and_write_nothing(client, db, fields, message):
    response = register(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user_count(db) == 0


def test_register_answers_the_same_for_an_existing_account_and_mails_its_owner(client, db):
    make_user("taken@example.com")
    db.session.commit()
    fresh = register(client, email="fresh@example.com")
    taken = register(client, email="TAKEN@example.com")
    assert fresh.status_code == taken.status_code == 200
    assert page_without_tokens(fresh, "fresh") == page_without_tokens(taken, "taken")
    assert user_count(db) == 2
    owner_mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == "taken@example.com")
    ).one()
    assert "already has one" in owner_mail.body
    assert "http://shop.test/account/password-reset" in owner_mail.body
    taken_user = db.session.scalar(select(User).where(User.email == "taken@example.com"))
    assert verify_password(taken_user.password_hash, DEFAULT_PASSWORD)  # nothing changed


def test_register_without_csrf_is_400(client, db):
    response = client.post(
        "/account/register",
        data={"email": "x@example.com", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert response.status_code == 400
    assert user_count(db) == 0


# --- signing in and out -------------------------------------------------------------------


def test_login_renews_the_session(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    before = csrf_token_for(client)
    cookie_before = client.get_cookie("session").value
    assert login(client, "shopper@example.com").status_code == 303
    assert client.get_cookie("session").value != cookie_before
    assert csrf_token_for(client) != before  # the pre-login session's token is gone


def test_one_generic_message_for_unknown_email_and_wrong_password(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    unknown = login(client, "nobody@example.com")
    wrong = login(client, "shopper@example.com", "wrong password here")
    assert unknown.status_code == wrong.status_code == 401

    def message(response):
        return re.search(r'role="alert">([^<]+)<', response.get_data(as_text=True)).group(1)

    assert message(unknown) == message(wrong) == "That e-mail and password do not match an account."


def test_logout_is_post_only_and_a_copied_cookie_stops_working(app, client, db):
    make_user("shopper@example.com")
    db.session.commit()
    login(client, "shopper@example.com")
    stolen = client.get_cookie("session").value
    assert client.get("/account/logout").status_code == 405
    assert logout(client).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/account/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_a_password_change_ends_other_sessions(app, client, db):
    make_user("shopper@example.com")
    db.session.commit()
    login(client, "shopper@example.com")
    other_device = app.test_client()
    other_device.set_cookie("session", client.get_cookie("session").value)
    assert other_device.get("/account/").status_code == 200
    response = client.post(
        "/account/",
        data={
            "csrf_token": csrf_token_for(client),
            "current": DEFAULT_PASSWORD,
            "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 303
    assert client.get("/account/").status_code == 200  # this browser stays signed in
    assert other_device.get("/account/").status_code == 302
    logout(client)
    assert login(client, "shopper@example.com", GOOD_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"current": "not my password"}, 422),
        ({"password": "short"}, 422),
        ({"confirm": "something else entirely"}, 422),
    ],
)
def test_bad_password_changes_change_nothing(client, db, fields, status):
    user = make_user("shopper@example.com")
    db.session.commit()
    old_hash = user.password_hash
    login(client, "shopper@example.com")
    data = {
        "csrf_token": csrf_token_for(client),
        "current": DEFAULT_PASSWORD,
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        **fields,
    }
    assert client.post("/account/", data=data).status_code == status
    assert db.session.get(User, user.id).password_hash == old_hash


# --- next= redirects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\\\evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "%5C%5C%5Cevil.example",
        "https:%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        "%252F%252Fevil.example",
    ],
)
def test_next_never_leaves_the_site(client, db, target):
    make_user("shopper@example.com")
    db.session.commit()
    response = login(client, "shopper@example.com", next_=target)
    if "%09" in target:  # a control character: refused at the edge before anything runs
        assert response.status_code == 400
        return
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_next_to_an_internal_page_is_honoured(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    response = login(client, "shopper@example.com", next_="/cart")
    assert response.headers["Location"] == "/cart"


# --- password reset -----------------------------------------------------------------------


def _reset_link(db) -> str:
    body = db.session.scalars(select(OutboxMessage.body)).one()
    return re.search(r"http://shop\.test(/account/password-reset/\S+)", body).group(1)


def test_reset_mails_a_single_use_link(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    response = client.post(
        "/account/password-reset",
        data={"csrf_token": csrf_token_for(client), "email": "shopper@example.com"},
    )
    assert response.status_code == 200
    link = _reset_link(db)
    assert client.get(link).status_code == 200
    data = {
        "csrf_token": csrf_token_for(client),
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    assert client.post(link, data=data).status_code == 303
    assert login(client, "shopper@example.com", GOOD_PASSWORD).status_code == 303
    logout(client)
    used = client.post(link, data={**data, "csrf_token": csrf_token_for(client)})
    assert used.status_code == 400
    assert "already been used" in used.get_data(as_text=True)


def test_a_used_reset_link_explains_itself_and_sends_a_new_one(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    client.post(
        "/account/password-reset",
        data={"csrf_token": csrf_token_for(client), "email": "shopper@example.com"},
    )
    link = _reset_link(db)
    data = {"csrf_token": csrf_token_for(client), "password": GOOD_PASSWORD}
    assert client.post(link, data={**data, "confirm": GOOD_PASSWORD}).status_code == 303
    logout(client)
    again = client.get(link)
    html = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "each link works once" in html
    assert 'action="/account/password-reset"' in html and "Send a new link" in html
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    token = token.group(1) if token else csrf_token_for(client)
    sent = client.post(
        "/account/password-reset", data={"csrf_token": token, "email": "shopper@example.com"}
    )
    assert sent.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    known = client.post(
        "/account/password-reset",
        data={"csrf_token": csrf_token_for(client), "email": "shopper@example.com"},
    )
    unknown = client.post(
        "/account/password-reset",
        data={"csrf_token": csrf_token_for(client), "email": "stranger@example.com"},
    )
    assert known.status_code == unknown.status_code == 200
    assert page_without_tokens(known, "shopper") == page_without_tokens(unknown, "stranger")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_expired_and_forged_reset_tokens_are_400(app, client, db, monkeypatch):
    make_user("shopper@example.com")
    db.session.commit()
    client.post(
        "/account/password-reset",
        data={"csrf_token": csrf_token_for(client), "email": "shopper@example.com"},
    )
    link = _reset_link(db)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    expired = client.get(link)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", 3600)
    assert client.get(link[:-3] + "xyz").status_code == 400
    assert client.get("/account/password-reset/not-a-token").status_code == 400
    assert client.get("/account/password-reset/" + "a" * 600).status_code == 400


# --- throttling -----------------------------------------------------------------------------


def test_failed_logins_are_limited_per_account(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    for _ in range(5):
        assert login(client, "shopper@example.com", "wrong password here").status_code == 401
    blocked = login(client, "shopper@example.com")  # even the right password now waits
    assert blocked.status_code == 429
    assert login(client, "other@example.com", "wrong password here").status_code == 401


def test_failed_logins_are_limited_per_ip(client, db):
    for i in range(20):
        assert login(client, f"guess{i}@example.com", "wrong password here").status_code == 401
    assert login(client, "guess-last@example.com", "wrong password here").status_code == 429


def test_successful_logins_do_not_count(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    for _ in range(7):
        assert login(client, "shopper@example.com").status_code == 303
        logout(client)


def test_throttling_works_on_redis_storage(database_url, db, monkeypatch):
    """The production setting: limits kept in Redis, shared by every app server."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if __import__("os").environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # counters of this run only
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    email = f"nobody-{uuid.uuid4().hex}@example.com"
    try:
        with app.app_context():
            client = app.test_client()
            statuses = [login(client, email, "wrong password here").status_code for _ in range(6)]
            _db.session.remove()
            _db.engine.dispose()
    finally:
        # Flask-Limiter keeps one storage per Limiter: give the suite back its memory one.
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    assert statuses == [401] * 5 + [429]
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    assert connection.keys(f"*{prefix}*login:{email}*"), "the counters were not kept in Redis"


# --- roles and the staff area -----------------------------------------------------------


def _staff_requests(app) -> list[tuple[str, str]]:
    """(method, url) for every route under /staff, with placeholder arguments."""
    requests = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/staff"):
                continue
            args = {name: 1 for name in rule.arguments}
            url = url_for(rule.endpoint, **args)
            requests += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return requests


def test_every_staff_route_is_for_staff_only(app, client, db):
    make_user("shopper@example.com")
    make_user("staff@example.com", role="staff")
    db.session.commit()
    requests = _staff_requests(app)
    assert requests, "the staff area registers no routes"
    anonymous = app.test_client()
    for method, url in requests:
        response = anonymous.open(
            url, method=method, data={"csrf_token": csrf_token_for(anonymous)}
        )
        assert response.status_code == 302, (method, url)
        assert "/account/login?next=" in response.headers["Location"]
    login(client, "shopper@example.com")
    for method, url in requests:
        response = client.open(url, method=method, data={"csrf_token": csrf_token_for(client)})
        assert response.status_code == 403, (method, url)
    staff = app.test_client()
    login(staff, "staff@example.com")
    assert staff.get("/staff/").status_code == 200


def test_staff_urls_with_ids_no_table_can_hold_are_404(app, client, db):
    """PostgreSQL refuses to compare an integer column with 99999999999: never a 500."""
    make_user("boss@example.com", role="admin")
    db.session.commit()
    login(client, "boss@example.com")
    with app.test_request_context():
        urls = [
            url_for(rule.endpoint, **{name: 99_999_999_999 for name in rule.arguments})
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/staff")
            and "GET" in rule.methods
            and rule.arguments
            and all(
                type(rule._converters[n]).__name__ == "IntegerConverter" for n in rule.arguments
            )
        ]
    assert urls
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_staff_dashboard_shows_low_stock_and_drafts(client, db):
    make_user("staff@example.com", role="staff")
    make_product("nearly-gone", name="Nearly Gone Balm", stock=2)
    db.session.commit()
    login(client, "staff@example.com")
    html = client.get("/staff/").get_data(as_text=True)
    assert "Nearly Gone Balm" in html
    assert "Unpublished drafts" in html


# --- the cart survives signing in ---------------------------------------------------------


def test_the_guest_cart_merges_into_the_account_at_login(app, client, db):
    user = make_user("shopper@example.com")
    variant = make_product(stock=10).variants[0]
    db.session.commit()
    client.post(
        "/cart/add",
        data={"csrf_token": csrf_token_for(client), "variant_id": variant.id, "quantity": "2"},
    )
    login(client, "shopper@example.com")
    html = client.get("/cart").get_data(as_text=True)
    assert 'value="2"' in html and "data-cart-count>2<" in html
    from shop.cart.models import Cart

    carts = db.session.scalars(select(Cart)).all()
    assert [c.user_id for c in carts] == [user.id]
    logout(client)
    assert "data-cart-count>0<" in client.get("/cart").get_data(as_text=True)


# --- command line and demo ------------------------------------------------------------------


def test_create_user_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["create-user", "boss@example.com", "--role", "admin", "--password-stdin"],
        input=GOOD_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.role == "admin"
    assert (
        runner.invoke(
            args=["create-user", "boss@example.com", "--password-stdin"], input=GOOD_PASSWORD + "\n"
        ).exit_code
        != 0
    )
    weak = runner.invoke(
        args=["create-user", "weak@example.com", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code != 0 and "Password refused" in weak.output
    assert user_count(db) == 1


def test_seed_demo_creates_the_staff_account_once(runner, client, db, monkeypatch):
    monkeypatch.setenv("SHOP_DEMO_STAFF_PASSWORD", GOOD_PASSWORD)
    first = runner.invoke(args=["seed-demo"])
    assert f"staff@example.com / {GOOD_PASSWORD}" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert GOOD_PASSWORD not in second.output
    assert login(client, "staff@example.com", GOOD_PASSWORD).status_code == 303
    assert client.get("/staff/").status_code == 200


# --- cookies and headers outside tests -------------------------------------------------


def test_production_session_cookie_flags_and_hsts(database_url, db, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SHOP_BASE_URL", "https://shop.test")
    monkeypatch.setenv("SHOP_PAYMENTS_SANDBOX", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        response = app.test_client().get("/cart", base_url="https://shop.test")
        _db.session.remove()
        _db.engine.dispose()
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- concurrent sign-ups ------------------------------------------------------------------


def test_concurrent_registrations_of_one_email_make_one_account(app, db):
    """The unique index decides (INSERT … ON CONFLICT DO NOTHING): never a 500."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    browsers = [app.test_client() for _ in range(8)]
    tokens = [csrf_token_for(browser) for browser in browsers]
    start = threading.Barrier(len(browsers))

    def sign_up(i: int) -> int:
        start.wait()
        data = {
            "csrf_token": tokens[i],
            "email": "Race@Example.com",
            "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
        }
        return browsers[i].post("/account/register", data=data).status_code

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        statuses = list(pool.map(sign_up, range(len(browsers))))
    assert statuses == [200] * len(browsers)
    assert user_count(db) == 1
    mails = db.session.scalars(select(OutboxMessage.subject)).all()
    assert sorted(mails) == sorted(
        ["Welcome to Remedy Shop"]
        + ["Someone tried to open a Remedy Shop account with your e-mail"] * 7
    )
