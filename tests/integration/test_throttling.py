"""Sign-in throttling behind reverse proxies (issue 17 #6): slow attackers, never the owner.

The shop here runs behind one trusted proxy (SHOP_TRUSTED_PROXIES=1) at 10.0.0.1, which
appends the client's address to X-Forwarded-For, as nginx does.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop import create_app
from shop.config import ConfigError, check_rate_limit_storage, worker_count
from shop.extensions import db as _db
from shop.mail import OutboxMessage
from tests.conftest import IsolatedClient, csrf_token_for
from tests.factories import DEFAULT_PASSWORD, make_user

PROXY = "10.0.0.1"
WRONG = "not the password at all"


@pytest.fixture()
def proxied_app(database_url, db):
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SHOP_TRUSTED_PROXIES": 1,
            "PAGE_CACHE_SECONDS": 0,
            "SHOP_BASE_URL": "http://shop.test",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    application.test_client_class = IsolatedClient
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


def visitor(app, address: str):
    """A browser at `address`, seen by the shop through the proxy."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)
    return client


def attempt(client, email: str, password: str):
    data = {"csrf_token": csrf_token_for(client), "email": email, "password": password}
    return client.post("/account/login", data=data)


@pytest.fixture()
def owner(db):
    make_user("owner@example.com")
    db.session.commit()
    return "owner@example.com"


def test_failures_from_one_client_do_not_block_another_behind_the_same_proxy(proxied_app, owner):
    attacker = visitor(proxied_app, "203.0.113.9")
    statuses = [
        attempt(attacker, owner if i % 3 == 0 else f"guess{i}@example.com", WRONG).status_code
        for i in range(45)
    ]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429  # the attacker is slowed
    someone_else = visitor(proxied_app, "198.51.100.7")
    assert attempt(someone_else, owner, DEFAULT_PASSWORD).status_code == 303


def test_a_client_cannot_pick_its_address_by_sending_x_forwarded_for(proxied_app):
    client = proxied_app.test_client()
    client.environ_base.update(REMOTE_ADDR=PROXY)
    statuses = []
    for i in range(21):
        # a forged first hop: the proxy appends the real one, and only that is believed
        forged = f"192.0.2.{i}, 203.0.113.9"
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forged
        statuses.append(attempt(client, f"guess{i}@example.com", WRONG).status_code)
    assert statuses == [401] * 20 + [429]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, db):
    statuses = []
    for i in range(21):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{i}"
        statuses.append(attempt(client, f"guess{i}@example.com", WRONG).status_code)
    assert statuses == [401] * 20 + [429]


def test_the_owner_still_signs_in_after_a_distributed_attack(proxied_app, owner):
    owners_browser = visitor(proxied_app, "198.51.100.7")
    assert attempt(owners_browser, owner, DEFAULT_PASSWORD).status_code == 303
    owners_browser.post("/account/logout", data={"csrf_token": csrf_token_for(owners_browser)})
    # ten attackers, five guesses each: each stays within its own per-address limit,
    # together they use up the per-account one
    for n in range(10):
        attacker = visitor(proxied_app, f"203.0.113.{n}")
        for _ in range(5):
            assert attempt(attacker, owner, WRONG).status_code == 401
    assert attempt(visitor(proxied_app, "203.0.113.99"), owner, WRONG).status_code == 429
    # the owner's browser is known: not locked out
    assert attempt(owners_browser, owner, DEFAULT_PASSWORD).status_code == 303


def test_a_throttled_stranger_is_offered_the_reset_email_which_lets_the_owner_in(
    proxied_app, owner, db
):
    for n in range(10):
        attacker = visitor(proxied_app, f"203.0.113.{n}")
        for _ in range(5):
            attempt(attacker, owner, WRONG)
    new_laptop = visitor(proxied_app, "198.51.100.8")
    refused = attempt(new_laptop, owner, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many failed sign-ins" in page
    assert 'href="/account/password-reset"' in page
    assert refused.headers["Cache-Control"] == "no-store"
    # the way out: the reset link in the owner's inbox marks this browser as theirs
    asked = new_laptop.post(
        "/account/password-reset",
        data={"csrf_token": csrf_token_for(new_laptop), "email": owner},
    )
    assert asked.status_code == 200
    body = db.session.scalars(select(OutboxMessage.body)).one()
    link = re.search(r"http://shop\.test(/account/password-reset/\S+)", body).group(1)
    new_password = "a brand new quiet meadow"
    done = new_laptop.post(
        link,
        data={
            "csrf_token": csrf_token_for(new_laptop),
            "password": new_password,
            "confirm": new_password,
        },
    )
    assert done.status_code == 303
    assert attempt(new_laptop, owner, new_password).status_code == 303


def test_only_wrong_passwords_count(proxied_app, owner):
    client = visitor(proxied_app, "203.0.113.5")
    for _ in range(10):
        invalid = client.post(
            "/account/login",
            data={"csrf_token": csrf_token_for(client), "email": "not an email", "password": "x"},
        )
        assert invalid.status_code == 422
    assert attempt(client, owner, DEFAULT_PASSWORD).status_code == 303


# --- where the counters live ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "argv", "workers"),
    [
        ({}, ["flask"], None),
        ({"WEB_CONCURRENCY": "4"}, ["uwsgi"], 4),
        ({}, ["/srv/.venv/bin/gunicorn", "-w", "3", "shop:create_app()"], 3),
        ({}, ["gunicorn", "--workers=2", "shop:create_app()"], 2),
        ({}, ["gunicorn", "-w5", "shop:create_app()"], 5),
        ({"GUNICORN_CMD_ARGS": "--workers 6"}, ["gunicorn", "shop:create_app()"], 6),
        ({"WEB_CONCURRENCY": "1"}, ["gunicorn", "shop:create_app()"], 1),
    ],
)
def test_worker_count_is_read_from_gunicorns_settings(environ, argv, workers):
    assert worker_count(environ, argv) == workers


def _storage_config(uri: str, **extra) -> dict:
    return {"RATELIMIT_STORAGE_URI": uri, "SHOP_ALLOW_PER_PROCESS_LIMITS": False, **extra}


def test_memory_counters_are_refused_when_several_workers_run():
    gunicorn = ["gunicorn", "-w", "4", "shop:create_app()"]
    with pytest.raises(ConfigError, match="4 workers"):
        check_rate_limit_storage(_storage_config("memory://"), {}, gunicorn)
    with pytest.raises(ConfigError, match="shared storage"):
        check_rate_limit_storage(_storage_config("memory://"), {"WEB_CONCURRENCY": "2"}, [])
    check_rate_limit_storage(_storage_config("redis://127.0.0.1:6379/0"), {}, gunicorn)
    allowed = _storage_config("memory://", SHOP_ALLOW_PER_PROCESS_LIMITS=True)
    check_rate_limit_storage(allowed, {}, gunicorn)


def test_a_single_process_with_memory_counters_starts_with_a_warning(caplog):
    check_rate_limit_storage(_storage_config("memory://"), {}, ["gunicorn", "shop:create_app()"])
    assert "counted per process" in caplog.text


def test_production_start_refuses_memory_counters_under_several_workers(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("SHOP_PAYMENTS_SANDBOX", "1")  # so the storage is what is refused
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        create_app()
    assert create_app({"TESTING": True}).testing  # tests and debug keep memory://


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_trusted_proxies_must_be_a_count(monkeypatch, value):
    monkeypatch.setenv("SHOP_TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match="SHOP_TRUSTED_PROXIES"):
        create_app({"TESTING": True})


def test_an_unreachable_redis_falls_back_to_counting_in_process(database_url, db, caplog):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens there
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    app.test_client_class = IsolatedClient
    try:
        client = app.test_client()
        statuses = [attempt(client, "nobody@example.com", WRONG).status_code for _ in range(6)]
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})  # memory again
    assert statuses == [401] * 5 + [429]
    assert "falling back to in-memory storage" in caplog.text
