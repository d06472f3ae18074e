"""Per-customer purchase limits (SPEC §15), including parallel checkouts.

The parallel test runs on both databases; on PostgreSQL the checkouts really run at
once, and the customer lock rows are what keeps them from both passing the limit.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.checkout.limits import limit_verdict
from shop.checkout.models import Order
from shop.delivery.service import seed_zones
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import ADDRESS, log_in


@pytest.fixture()
def limited(db):
    seed_zones(db.session)
    product = make_product("pain-relief", name="Pain Relief", stock=50, mrp=3000, price=2700)
    product.limit_quantity, product.limit_days = 2, 30
    db.session.commit()
    return product.variants[0].id


def shopper(app, variant_id: int, quantity: int):
    client = app.test_client()
    token = csrf_token_for(client)
    added = client.post(
        "/cart/add", data={"csrf_token": token, "variant_id": variant_id, "quantity": quantity}
    )
    assert added.status_code == 303
    return client


def place(client, email="buyer@example.com", **address):
    data = {"csrf_token": csrf_token_for(client), "email": email, **ADDRESS, **address}
    return client.post("/checkout", data=data)


def orders(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Order))


def test_verdict_names_when_enough_units_leave_the_window():
    day = datetime(2026, 11, 1, tzinfo=UTC)
    assert limit_verdict([], 2, 2, 30).allowed
    assert not limit_verdict([], 3, 2, 30).allowed  # more than the limit at once: never
    later = day + timedelta(days=5)
    verdict = limit_verdict([(day, 1), (later, 1)], 1, 2, 30)
    assert (verdict.allowed, verdict.used, verdict.resets_on) == (False, 2, day + timedelta(30))
    verdict = limit_verdict([(day, 1), (later, 1)], 2, 2, 30)
    assert verdict.resets_on == later + timedelta(30)  # both must have left the window


def test_a_second_order_past_the_limit_is_refused_with_the_reset_date(app, db, limited, sandbox):
    assert place(shopper(app, limited, 2)).status_code == 303
    refused = place(shopper(app, limited, 1))
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "limited to 2 per customer every 30 days" in text
    resets = datetime.now(UTC) + timedelta(days=30)
    assert f"{resets:%d %B %Y}" in text or f"{resets - timedelta(days=1):%d %B %Y}" in text
    assert orders(db) == 1


@pytest.mark.parametrize(
    ("email", "address"),
    [
        ("Buyer+second@example.com", {"phone": "90000 00001"}),  # the same inbox
        ("someone.else@example.com", {}),  # the same phone
    ],
)
def test_the_limit_follows_the_customer_by_email_and_phone(
    app, db, limited, sandbox, email, address
):
    assert place(shopper(app, limited, 1)).status_code == 303
    assert place(shopper(app, limited, 2), email=email, **address).status_code == 409
    assert place(shopper(app, limited, 1), email=email, **address).status_code == 303
    assert orders(db) == 2


def test_the_limit_follows_the_account(app, db, limited, sandbox):
    make_user("member@example.com")
    db.session.commit()
    first = shopper(app, limited, 2)
    log_in(first, "member@example.com")
    assert place(first).status_code == 303
    second = shopper(app, limited, 1)
    log_in(second, "member@example.com")
    assert place(second, phone="90000 00002").status_code == 409


def test_cancelled_and_expired_orders_do_not_count(app, db, limited, sandbox):
    assert place(shopper(app, limited, 2)).status_code == 303
    order = db.session.scalars(select(Order)).one()
    order.hold_expires_at = datetime.now(UTC) - timedelta(minutes=1)  # an unpaid hold ran out
    db.session.commit()
    assert place(shopper(app, limited, 2)).status_code == 303


def test_the_cart_shows_the_limit(app, db, limited):
    page = shopper(app, limited, 1).get("/cart").get_data(as_text=True)
    assert "Limit 2 per customer every 30 days" in page


def test_parallel_checkouts_of_one_customer_cannot_both_pass_the_limit(app, db, limited, sandbox):
    """Eight carts of one customer (same e-mail and phone), each for the whole limit."""
    shoppers = [shopper(app, limited, 2) for _ in range(8)]
    tokens = [csrf_token_for(client) for client in shoppers]
    start = threading.Barrier(len(shoppers))

    def checkout(index: int) -> int:
        start.wait()
        data = {"csrf_token": tokens[index], "email": "buyer@example.com", **ADDRESS}
        return shoppers[index].post("/checkout", data=data).status_code

    with ThreadPoolExecutor(max_workers=len(shoppers)) as pool:
        statuses = list(pool.map(checkout, range(len(shoppers))))
    assert sorted(statuses) == [303] + [409] * 7
    assert orders(db) == 1
