"""Concurrent adds to one cart: never a 500, never a lost increment (issue 17 #8).

Each test sends its requests from threads at the same moment, all with one browser's
session cookie. On PostgreSQL they really run at once; SQLite serialises the writers.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from shop.cart.models import Cart, CartLine
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import log_in


def _same_browser(app, client, count: int) -> list:
    """`count` clients sharing `client`'s session cookie, as tabs of one browser would."""
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(count):
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        clients.append(other)
    return clients


def _all_at_once(clients, call) -> list[int]:
    start = threading.Barrier(len(clients))

    def run(c):
        start.wait()
        return call(c).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(run, clients))


def _add(token: str, variant_id: int, quantity: int = 1):
    data = {"csrf_token": token, "variant_id": str(variant_id), "quantity": str(quantity)}
    return lambda c: c.post("/cart/add", data=data)


@pytest.fixture()
def plenty(db) -> int:
    variant_id = make_product("plenty", stock=100, max_per_order=50).variants[0].id
    db.session.commit()
    return variant_id


def _sign_in(client, db) -> str:
    make_user("racer@example.com")
    db.session.commit()
    return log_in(client, "racer@example.com")


@pytest.mark.parametrize("who", ["guest", "signed-in"])
def test_twenty_plus_ones_on_a_line_at_four_end_at_24(app, client, db, plenty, who):
    token = _sign_in(client, db) if who == "signed-in" else csrf_token_for(client)
    assert (
        client.post(
            "/cart/add", data={"csrf_token": token, "variant_id": plenty, "quantity": "4"}
        ).status_code
        == 303
    )
    statuses = _all_at_once(_same_browser(app, client, 20), _add(token, plenty))
    assert set(statuses) <= {303, 409}, statuses
    db.session.expire_all()
    line = db.session.scalars(select(CartLine)).one()
    assert line.quantity == 4 + statuses.count(303)
    assert statuses.count(303) == 20  # waiting writers are served, not refused


@pytest.mark.parametrize("who", ["guest", "signed-in"])
def test_first_adds_at_once_make_one_cart_with_every_unit(app, client, db, plenty, who):
    """No cart yet: ten simultaneous first adds create one cart (no unique-key 500)."""
    token = _sign_in(client, db) if who == "signed-in" else csrf_token_for(client)
    statuses = _all_at_once(_same_browser(app, client, 10), _add(token, plenty, 2))
    assert statuses == [303] * 10
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Cart)) == 1
    assert db.session.scalars(select(CartLine.quantity)).all() == [20]


def test_adds_past_the_limit_at_once_stop_exactly_at_it(app, client, db):
    variant_id = make_product("few", stock=7, max_per_order=10).variants[0].id
    db.session.commit()
    token = csrf_token_for(client)
    statuses = _all_at_once(_same_browser(app, client, 12), _add(token, variant_id))
    assert sorted(statuses) == [303] * 7 + [409] * 5
    db.session.expire_all()
    assert db.session.scalars(select(CartLine.quantity)).all() == [7]


def test_an_update_racing_a_removal_is_a_404_not_a_500(app, client, db, plenty):
    token = csrf_token_for(client)
    client.post("/cart/add", data={"csrf_token": token, "variant_id": plenty, "quantity": "1"})
    line_id = db.session.scalars(select(CartLine.id)).one()
    clients = _same_browser(app, client, 10)
    calls = [
        lambda c: c.post("/cart/remove", data={"csrf_token": token, "line_id": line_id}),
        lambda c: c.post(
            "/cart/update", data={"csrf_token": token, "line_id": line_id, "quantity": "3"}
        ),
    ]
    start = threading.Barrier(len(clients))

    def run(index):
        start.wait()
        return calls[index % 2](clients[index]).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = list(pool.map(run, range(len(clients))))
    assert set(statuses) <= {303, 404}, statuses
