"""Staff order screens: lists, the detail page, ship/deliver and refunds through the sandbox."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from shop.checkout.models import Order, OrderEvent
from shop.demo import seed_demo
from shop.payments.models import Refund
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import make_user
from tests.helpers import log_in as login
from tests.integration.test_checkout import fill_cart, pay, place, session_id_of


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


@pytest.fixture()
def staff(app, db, demo):
    """A client signed in as a staff member made here (the demo account's password varies)."""
    make_user("orders-staff@example.com", role="staff")
    db.session.commit()
    client = app.test_client()
    login(client, "orders-staff@example.com")
    return client


def checkout(app, db, email="shopper@example.com", quantity=2, coupon=None):
    """A shopper in their own browser places an order for joint capsules."""
    shopper = app.test_client()
    fill_cart(shopper, db, quantity=quantity, coupon=coupon)
    return shopper, session_id_of(place(shopper, email=email))


def place_order(app, db, email="shopper@example.com", quantity=2) -> Order:
    _, session_id = checkout(app, db, email, quantity)
    return fetch(db, stripe_session_id=session_id)


def paid_order(app, db, sandbox, email="shopper@example.com", quantity=2, coupon=None) -> Order:
    shopper, session_id = checkout(app, db, email, quantity, coupon)
    pay(shopper, sandbox, session_id)
    return fetch(db, stripe_session_id=session_id)


def fetch(db, **where) -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Order).filter_by(**where)).one()


def refund_form(client, order: Order) -> dict:
    """The refund form's fields as the detail page draws them (with its one-time id)."""
    html = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    request_id = re.search(r'name="request_id" type="hidden" value="([^"]+)"', html)
    assert request_id, "the detail page has no refund form"
    return {"csrf_token": csrf_token_for(client), "request_id": request_id.group(1)}


def refunds(db) -> list[Refund]:
    db.session.expire_all()
    return list(db.session.scalars(select(Refund).order_by(Refund.id)))


def audits(db, action: str | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def follow(client, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


# --- access -----------------------------------------------------------------------------------


def test_orders_are_for_staff_only(app, client, db, demo, sandbox):
    order = place_order(app, db)
    assert client.get("/staff/orders/").status_code == 302
    make_user("customer@example.com")
    db.session.commit()
    login(client, "customer@example.com")
    assert client.get("/staff/orders/").status_code == 403
    assert client.get(f"/staff/orders/{order.number}").status_code == 403
    response = client.post(
        f"/staff/orders/{order.number}/ship", data={"csrf_token": csrf_token_for(client)}
    )
    assert response.status_code == 403
    assert fetch(db, number=order.number).state == "pending_payment"


def test_unknown_order_is_404_and_posts_need_csrf(staff, db, app, sandbox):
    assert staff.get("/staff/orders/RS-NONE-NONE-NONE").status_code == 404
    assert staff.get("/staff/orders/" + "X" * 300).status_code == 404
    assert (
        staff.post(
            "/staff/orders/RS-NONE-NONE-NONE/ship", data={"csrf_token": csrf_token_for(staff)}
        ).status_code
        == 404
    )
    order = paid_order(app, db, sandbox)
    assert staff.post(f"/staff/orders/{order.number}/ship").status_code == 400
    assert fetch(db, number=order.number).state == "paid"


# --- list --------------------------------------------------------------------------------------


def test_list_filters_by_state_and_review_and_searches_number_and_email(staff, app, db, sandbox):
    waiting = place_order(app, db, email="waiting@example.com", quantity=1)
    first = paid_order(app, db, sandbox, email="first@example.com")
    second = paid_order(app, db, sandbox, email="second@example.com")
    second.needs_review = True
    db.session.commit()

    html = staff.get("/staff/orders/").get_data(as_text=True)
    rows = re.findall(r'data-order="(RS-[^"]+)"', html)
    assert rows == [second.number, first.number, waiting.number]  # newest first

    def listed(query: str) -> list[str]:
        response = staff.get("/staff/orders/" + query)
        assert response.status_code == 200, query
        return re.findall(r'data-order="(RS-[^"]+)"', response.get_data(as_text=True))

    assert listed("?state=paid") == [second.number, first.number]
    assert listed("?state=pending_payment") == [waiting.number]
    assert listed("?state=shipped") == []
    assert listed("?state=") == [second.number, first.number, waiting.number]
    assert listed("?review=1") == [second.number]
    assert listed("?q=FIRST@example") == [first.number]
    assert listed("?q=" + waiting.number[-6:].lower()) == [waiting.number]
    assert listed("?q=second&state=pending_payment") == []
    assert "No orders match these filters" in staff.get("/staff/orders/?q=nobody").get_data(
        as_text=True
    )

    for bad in (
        "?state=lost",
        "?state=PAID",
        "?review=yes",
        "?page=0",
        "?page=x",
        "?q=" + "a" * 201,
    ):
        assert staff.get("/staff/orders/" + bad).status_code == 400, bad
    assert staff.get("/staff/orders/?page=2").status_code == 404


# --- detail -------------------------------------------------------------------------------------


def test_detail_shows_lines_totals_coupon_payment_and_timeline(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox, email="buyer@example.com", coupon="WELCOME10")

    response = staff.get(f"/staff/orders/{order.number}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-order-state="paid"' in html and "buyer@example.com" in html
    assert "Joint Care Capsules" in html and order.lines[0].sku in html
    assert "₹799" in html and "₹719" in html  # MRP and unit price frozen on the line
    assert "WELCOME10" in html and "−₹100" in html
    assert "₹1,338" in html  # the total
    assert order.stripe_session_id in html and order.stripe_payment_intent in html
    assert "No refunds." in html
    assert "Waiting for payment → Paid" in html  # the timeline
    assert 'data-action="ship"' in html and 'data-action="refund"' in html
    assert 'data-action="deliver"' not in html and 'data-action="clear-review"' not in html


def test_the_dashboard_links_orders_needing_review_to_their_page(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    order.needs_review = True
    db.session.commit()
    html = staff.get("/staff/").get_data(as_text=True)
    assert f'href="/staff/orders/{order.number}"' in html


# --- ship and deliver ---------------------------------------------------------------------------


def test_ship_then_deliver_records_events_and_audit(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    token = csrf_token_for(staff)
    page = follow(
        staff,
        staff.post(
            f"/staff/orders/{order.number}/ship",
            data={
                "csrf_token": token,
                "carrier": "bluedart",
                "tracking_number": "BD12345678",
                "note": "Two boxes",
            },
        ),
    )
    assert "is marked shipped" in page and 'data-order-state="shipped"' in page
    assert "Blue Dart, tracking BD12345678. Two boxes" in page and 'data-action="deliver"' in page
    assert fetch(db, number=order.number).state == "shipped"

    page = follow(
        staff, staff.post(f"/staff/orders/{order.number}/deliver", data={"csrf_token": token})
    )
    assert "is marked delivered" in page
    order = fetch(db, number=order.number)
    assert order.state == "delivered"
    moves = [(e.from_state, e.to_state, e.actor) for e in order.events][-2:]
    assert moves == [
        ("paid", "shipped", "staff:orders-staff@example.com"),
        ("shipped", "delivered", "staff:orders-staff@example.com"),
    ]

    ship, deliver = audits(db, "ship") + audits(db, "deliver")
    assert (ship.object_type, ship.object_id) == ("order", order.number)
    assert ship.before["state"] == "paid" and ship.after["state"] == "shipped"
    assert ship.changed_fields == ["carrier", "state", "tracking_number"]
    assert "Blue Dart, tracking BD12345678" in ship.summary
    assert deliver.before["state"] == "shipped" and deliver.after["state"] == "delivered"
    assert ship.actor_email == deliver.actor_email == "orders-staff@example.com"


@pytest.mark.parametrize("action", ["deliver", "ship"])
def test_a_move_the_state_machine_refuses_is_409_and_writes_nothing(
    staff, app, db, sandbox, action
):
    order = place_order(app, db) if action == "ship" else paid_order(app, db, sandbox)
    state, events = order.state, len(order.events)
    response = staff.post(
        f"/staff/orders/{order.number}/{action}", data={"csrf_token": csrf_token_for(staff)}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f"cannot go from {state} to" in html and "Nothing was changed" in html
    order = fetch(db, number=order.number)
    assert order.state == state and len(order.events) == events
    assert audits(db) == []


def ship(staff, order: Order, tracking: str = "BD12345678"):
    data = {"csrf_token": csrf_token_for(staff), "carrier": "bluedart", "tracking_number": tracking}
    return staff.post(f"/staff/orders/{order.number}/ship", data=data)


def deliver(staff, order: Order):
    data = {"csrf_token": csrf_token_for(staff)}
    return staff.post(f"/staff/orders/{order.number}/deliver", data=data)


def partly_refund(staff, order: Order, rupees: str = "100") -> None:
    data = {**refund_form(staff, order), "amount": rupees, "reason": "One box arrived crushed"}
    assert staff.post(f"/staff/orders/{order.number}/refund", data=data).status_code == 303


def test_a_partly_refunded_order_ships_once_and_is_delivered_once(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    assert ship(staff, order).status_code == 303
    partly_refund(staff, order)
    assert fetch(db, number=order.number).state == "partially_refunded"

    page = staff.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert 'data-action="deliver"' in page and 'data-action="ship"' not in page
    events = len(fetch(db, number=order.number).events)
    again = ship(staff, order, tracking="BD99999999")
    assert again.status_code == 409
    assert f"Order {order.number} was already shipped." in again.get_data(as_text=True)
    order = fetch(db, number=order.number)
    assert order.state == "partially_refunded" and len(order.events) == events
    assert [a.after["tracking_number"] for a in audits(db, "ship")] == ["BD12345678"]

    assert deliver(staff, order).status_code == 303
    assert fetch(db, number=order.number).state == "delivered"
    partly_refund(staff, order)
    page = staff.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert 'data-action="deliver"' not in page and 'data-action="ship"' not in page
    assert deliver(staff, order).status_code == 409 and ship(staff, order).status_code == 409
    assert fetch(db, number=order.number).state == "partially_refunded"
    assert len(audits(db, "deliver")) == 1


def test_a_partly_refunded_order_not_yet_shipped_cannot_be_marked_delivered(
    staff, app, db, sandbox
):
    order = paid_order(app, db, sandbox)
    partly_refund(staff, order)
    response = deliver(staff, order)
    assert response.status_code == 409
    assert "has not been shipped yet" in response.get_data(as_text=True)
    assert fetch(db, number=order.number).state == "partially_refunded"
    assert ship(staff, order).status_code == 303
    assert fetch(db, number=order.number).state == "shipped"


def test_a_too_long_note_is_422(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    response = staff.post(
        f"/staff/orders/{order.number}/ship",
        data={
            "csrf_token": csrf_token_for(staff),
            "carrier": "dtdc",
            "tracking_number": "D1234567",
            "note": "x" * 501,
        },
    )
    assert response.status_code == 422 and "under 500 characters" in response.get_data(as_text=True)
    assert fetch(db, number=order.number).state == "paid" and audits(db) == []


# --- refunds ------------------------------------------------------------------------------------


def sandbox_refunds(sandbox) -> list[dict]:
    return [
        r
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"] == "/v1/refunds" and r["status"] == 200
    ]


def test_partial_refund_through_the_sandbox_is_shown_and_audited(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    assert order.total == 143800
    data = {**refund_form(staff, order), "amount": "200", "reason": "One box arrived crushed"}
    response = staff.post(f"/staff/orders/{order.number}/refund", data=data)
    page = follow(staff, response)

    (refund,) = refunds(db)
    assert refund.amount == 20000 and refund.stripe_refund_id.startswith("re_")
    assert refund.actor == "staff:orders-staff@example.com"
    assert refund.reason == "One box arrived crushed"
    assert f"Refunded ₹200 of order {order.number}" in page
    assert refund.stripe_refund_id in page and f"status {refund.status}" in page
    assert f'data-refund="{refund.stripe_refund_id}"' in page  # in the refunds table
    assert 'data-order-state="partially_refunded"' in page
    assert "₹1,238" in page  # still refundable

    order = fetch(db, number=order.number)
    assert order.state == "partially_refunded" and order.amount_refunded == 20000
    (asked,) = sandbox_refunds(sandbox)
    assert int(asked["params"]["amount"]) == 20000
    assert asked["params"]["payment_intent"] == order.stripe_payment_intent

    (entry,) = audits(db, "refund")
    assert entry.object_id == order.number
    assert entry.before == {"state": "paid", "amount_refunded": 0, "needs_review": False}
    assert entry.after["state"] == "partially_refunded"
    assert entry.after["amount_refunded"] == 20000
    assert entry.after["refund_id"] == refund.stripe_refund_id
    assert "₹200" in entry.summary and "crushed" in entry.summary


def test_full_refund_in_rupees_and_paise_refunds_the_order(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox, quantity=1)  # ₹719, shipped free
    assert order.total == 71900
    first = {**refund_form(staff, order), "amount": "49.50", "reason": "Late delivery"}
    follow(staff, staff.post(f"/staff/orders/{order.number}/refund", data=first))
    rest = {**refund_form(staff, order), "amount": "669.50", "reason": "Returned"}
    page = follow(staff, staff.post(f"/staff/orders/{order.number}/refund", data=rest))
    assert "Refunded ₹669.50" in page and 'data-order-state="refunded"' in page
    assert 'data-action="refund"' not in page  # nothing left to refund
    order = fetch(db, number=order.number)
    assert order.state == "refunded" and order.amount_refunded == order.total
    assert [r.amount for r in refunds(db)] == [4950, 66950]
    assert [e.after["state"] for e in audits(db, "refund")] == ["partially_refunded", "refunded"]


def test_a_double_submitted_refund_form_refunds_once(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    data = {**refund_form(staff, order), "amount": "300", "reason": "Goodwill"}
    follow(staff, staff.post(f"/staff/orders/{order.number}/refund", data=data))
    again = follow(staff, staff.post(f"/staff/orders/{order.number}/refund", data=data))
    assert "already submitted" in again and "nothing more was refunded" in again
    assert [r.amount for r in refunds(db)] == [30000]
    assert fetch(db, number=order.number).amount_refunded == 30000
    assert len(sandbox_refunds(sandbox)) == 1
    assert len(audits(db, "refund")) == 1


def test_refunds_submitted_at_the_same_moment_never_exceed_the_total(staff, app, db, sandbox):
    """The same form twice and another form at once: ₹1,000 twice does not fit in ₹1,438."""
    order = paid_order(app, db, sandbox)
    same = {**refund_form(staff, order), "amount": "1000", "reason": "Double click"}
    other = {**refund_form(staff, order), "amount": "1000", "reason": "Someone else"}
    submissions = [same, same, other]
    start = threading.Barrier(len(submissions))
    url = f"/staff/orders/{order.number}/refund"

    def submit(data):
        start.wait()
        return staff.post(url, data=data).status_code

    with ThreadPoolExecutor(max_workers=len(submissions)) as pool:
        statuses = list(pool.map(submit, submissions))
    assert all(status in (303, 422) for status in statuses), statuses
    (refund,) = refunds(db)
    assert refund.amount == 100000
    order = fetch(db, number=order.number)
    assert (order.state, order.amount_refunded) == ("partially_refunded", 100000)
    assert len(sandbox_refunds(sandbox)) == 1
    assert len(audits(db, "refund")) == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than ₹0"),
        ("0.00", "more than ₹0"),
        ("-5", "cannot be negative"),
        ("abc", "in rupees"),
        ("12.345", "in rupees"),
        ("1e3", "in rupees"),
        ("", "Enter the amount"),
        ("1438.01", "At most ₹1,438 can still be refunded"),
        ("99999", "At most ₹1,438 can still be refunded"),
    ],
)
def test_bad_refund_amounts_are_422_and_write_nothing(staff, app, db, sandbox, amount, message):
    order = paid_order(app, db, sandbox)
    data = {**refund_form(staff, order), "amount": amount, "reason": "Test"}
    response = staff.post(f"/staff/orders/{order.number}/refund", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{data["request_id"]}"' in html  # the same form, ready to correct
    assert refunds(db) == [] and sandbox_refunds(sandbox) == []
    order = fetch(db, number=order.number)
    assert (order.state, order.amount_refunded) == ("paid", 0)
    assert audits(db) == []


def test_refund_needs_a_reason_and_a_well_formed_request_id(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    form = refund_form(staff, order)
    no_reason = staff.post(
        f"/staff/orders/{order.number}/refund", data={**form, "amount": "10", "reason": "  "}
    )
    assert no_reason.status_code == 422 and "Say why" in no_reason.get_data(as_text=True)
    forged = staff.post(
        f"/staff/orders/{order.number}/refund",
        data={**form, "request_id": "x", "amount": "10", "reason": "r"},
    )
    assert forged.status_code == 422 and "out of date" in forged.get_data(as_text=True)
    assert refunds(db) == []


def test_refunding_an_unpaid_order_is_409(staff, app, db, sandbox):
    order = place_order(app, db)
    assert 'data-action="refund"' not in staff.get(f"/staff/orders/{order.number}").get_data(
        as_text=True
    )
    response = staff.post(
        f"/staff/orders/{order.number}/refund",
        data={
            "csrf_token": csrf_token_for(staff),
            "amount": "10",
            "reason": "x",
            "request_id": "a" * 22,
        },
    )
    assert response.status_code == 409
    assert "no payment to refund" in response.get_data(as_text=True)
    assert refunds(db) == []


def test_stripe_failing_shows_the_message_and_changes_nothing(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    data = {**refund_form(staff, order), "amount": "250", "reason": "Damaged"}
    sandbox.post("/faults", {"fail_next": 5, "status": 500})
    response = staff.post(f"/staff/orders/{order.number}/refund", data=data)
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Stripe did not confirm the refund" in html and "Nothing was recorded" in html
    assert f'value="{data["request_id"]}"' in html  # a retry reuses the same request
    assert refunds(db) == []
    order = fetch(db, number=order.number)
    assert (order.state, order.amount_refunded) == ("paid", 0)
    assert audits(db) == []

    sandbox.post("/faults", {"fail_next": 0})  # Stripe is back; the same form goes through
    follow(staff, staff.post(f"/staff/orders/{order.number}/refund", data=data))
    assert [r.amount for r in refunds(db)] == [25000]
    assert fetch(db, number=order.number).state == "partially_refunded"


# --- review flag -------------------------------------------------------------------------------


def test_clearing_the_review_flag_needs_a_note_and_is_audited(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    order.needs_review = True
    db.session.commit()
    url = f"/staff/orders/{order.number}/clear-review"
    token = csrf_token_for(staff)

    empty = staff.post(url, data={"csrf_token": token, "review_note": ""})
    assert empty.status_code == 422 and "Say what you checked" in empty.get_data(as_text=True)
    assert fetch(db, number=order.number).needs_review is True

    page = follow(
        staff,
        staff.post(url, data={"csrf_token": token, "review_note": "Matched the bank statement"}),
    )
    assert "no longer needs review" in page and "Matched the bank statement" in page
    order = fetch(db, number=order.number)
    assert order.needs_review is False and order.state == "paid"
    last = order.events[-1]
    assert last.actor == "staff:orders-staff@example.com" and "Matched" in last.note
    (entry,) = audits(db, "clear_review")
    assert entry.before["needs_review"] is True and entry.after["needs_review"] is False
    assert entry.after["review_note"] == "Matched the bank statement"

    again = staff.post(url, data={"csrf_token": token, "review_note": "twice"})
    assert again.status_code == 409 and "not flagged" in again.get_data(as_text=True)
    assert len(audits(db, "clear_review")) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.note.like("Review flag cleared%"))
        )
        == 1
    )


def test_stripe_refusing_the_refund_shows_why_and_offers_a_fresh_form(staff, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    data = {**refund_form(staff, order), "amount": "250", "reason": "Damaged"}
    sandbox.post("/faults", {"fail_next": 1, "status": 400})
    response = staff.post(f"/staff/orders/{order.number}/refund", data=data)
    assert response.status_code == 502
    html = response.get_data(as_text=True)
    assert "Stripe refused the refund" in html and "Injected sandbox fault" in html
    # the refused request's key would only replay the refusal: the form gets a new one
    assert f'value="{data["request_id"]}"' not in html
    assert refunds(db) == [] and audits(db) == []
    assert fetch(db, number=order.number).state == "paid"
