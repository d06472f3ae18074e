"""One order lifecycle: derived state sets, domain-owned holds, completion over cancellation.

Issue 14 (holds by coupon id, states from one transition table, one `abandon_order`) and
issue 17 #1 (a late webhook never leaves a paid order cancelled).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.checkout.models import STATES, Order, OrderEvent
from shop.checkout.states import (
    OPEN,
    REFUNDABLE,
    SHIPPABLE,
    TRANSITIONS,
    OrderState,
    can_transition,
    transition,
)
from shop.database import utcnow
from shop.demo import seed_demo
from shop.discounts.models import Coupon
from shop.payments.refunds import refund_order
from tests.conftest import csrf_token_for
from tests.factories import make_user
from tests.helpers import log_in
from tests.integration.test_checkout import (
    coupon_state,
    events_for,
    fill_cart,
    place,
    session_id_of,
    stock,
    the_order,
)
from tests.payments import deliver


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


# --- the state machine ------------------------------------------------------------------------


def test_states_are_one_enum_and_the_sets_come_from_the_transition_table():
    assert set(STATES) == set(OrderState) == set(TRANSITIONS)
    assert all(isinstance(state, str) for state in OrderState)
    assert {s for s in OrderState if can_transition(s, OrderState.REFUNDED)} == REFUNDABLE
    assert {s for s in OrderState if can_transition(s, OrderState.SHIPPED)} == SHIPPABLE
    # unpaid and holding stock: waiting for payment, or authorised and waiting for a
    # pharmacist (SPEC §15)
    assert {OrderState.PENDING_PAYMENT, OrderState.AWAITING_REVIEW} == OPEN
    assert OrderState.PARTIALLY_REFUNDED in SHIPPABLE  # SPEC §7: the rest still ships
    assert OrderState.CANCELLED not in REFUNDABLE | SHIPPABLE


def test_no_module_restates_the_state_sets():
    import inspect

    import shop.payments.refunds
    import shop.staff.dashboard
    import shop.staff.orders

    for module in (shop.payments.refunds, shop.staff.orders, shop.staff.dashboard):
        source = inspect.getsource(module)
        assert '("paid", "shipped"' not in source, module.__name__
        assert "REFUNDABLE_STATES" not in source, module.__name__


def _paid(client, db, sandbox, **cart) -> Order:
    fill_cart(client, db, **cart)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")
    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200
    return the_order(db)


def test_a_partially_refunded_order_can_still_be_shipped(app, client, db, demo, sandbox):
    order = _paid(client, db, sandbox)
    refund_order(order, 10000, actor="staff:a@b", reason="one box damaged", request_id="r1")
    db.session.commit()
    assert the_order(db).state == OrderState.PARTIALLY_REFUNDED
    make_user("ship-staff@example.com", role="staff")
    db.session.commit()
    staff = app.test_client()
    log_in(staff, "ship-staff@example.com")
    page = staff.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert 'data-action="ship"' in page
    response = staff.post(
        f"/staff/orders/{order.number}/ship",
        data={
            "csrf_token": csrf_token_for(staff),
            "carrier": "delhivery",
            "tracking_number": "DL20261129",
        },
    )
    assert response.status_code == 303
    assert the_order(db).state == OrderState.SHIPPED
    assert the_order(db).amount_refunded == 10000


def test_transition_refuses_moves_outside_the_table(client, db, demo, sandbox):
    from shop.checkout.states import InvalidTransition

    fill_cart(client, db)
    place(client)
    order = the_order(db)
    with pytest.raises(InvalidTransition):
        transition(order, OrderState.SHIPPED, actor="test")


# --- holds belong to their domains ---------------------------------------------------------------


def test_stock_holds_are_conditional(db, demo):
    from shop.catalog.stock import hold_stock, release_stock, stock_left
    from tests.integration.test_checkout import variant

    capsule = variant(db, "joint-capsule")
    left = capsule.stock
    assert hold_stock(capsule.id, left) is True
    assert stock_left(capsule.id) == 0
    assert hold_stock(capsule.id, 1) is False  # nothing taken when not enough is left
    release_stock(capsule.id, left)
    db.session.commit()
    assert stock(db, "joint-capsule") == left


def _rename(db, old: str, new: str) -> None:
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == old))
    coupon.code = new  # what staff may do from the back office at any time
    db.session.commit()


def test_coupon_use_is_given_back_to_the_renamed_coupon_on_cancel(client, db, demo, sandbox):
    fill_cart(client, db, coupon="WELCOME10")
    place(client)
    assert coupon_state(db) == (1, ["held"])
    _rename(db, "WELCOME10", "HELLO10")
    order = the_order(db)
    assert client.get(f"/checkout/cancel?order={order.number}").status_code == 303
    assert the_order(db).state == OrderState.CANCELLED
    assert coupon_state(db, "HELLO10") == (0, ["released"])


def test_coupon_use_of_a_renamed_coupon_is_finalised_on_payment(client, db, demo, sandbox):
    fill_cart(client, db, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    _rename(db, "WELCOME10", "HELLO10")
    sandbox.act(session_id, "pay")
    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200
    assert the_order(db).state == OrderState.PAID
    assert coupon_state(db, "HELLO10") == (1, ["final"])


def test_coupon_use_of_a_renamed_coupon_is_released_on_expiry(client, db, demo, sandbox, runner):
    fill_cart(client, db, coupon="WELCOME10")
    place(client)
    _rename(db, "WELCOME10", "HELLO10")
    order = the_order(db)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert runner.invoke(args=["expire-orders"]).exit_code == 0
    assert the_order(db).state == OrderState.CANCELLED
    assert coupon_state(db, "HELLO10") == (0, ["released"])


# --- completion wins over cancellation (issue 17 #1) -----------------------------------------


def _no_paid_order_cancelled(db) -> None:
    db.session.expire_all()
    flagged = db.session.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.state == OrderState.CANCELLED, Order.needs_review.is_(True))
    )
    assert flagged == 0


def _paid_once(db) -> None:
    moves = db.session.scalars(
        select(OrderEvent).where(
            OrderEvent.to_state == OrderState.PAID, OrderEvent.from_state != OrderEvent.to_state
        )
    ).all()
    assert len(moves) == 1


def test_cancel_page_after_paying_completes_the_order_then_the_late_webhook_is_a_no_op(
    client, db, demo, sandbox
):
    before = stock(db, "joint-capsule")
    fill_cart(client, db, coupon="WELCOME10")
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")  # paid; the webhook is late
    order = the_order(db)
    response = client.get(f"/checkout/cancel?order={order.number}")
    assert response.status_code == 303
    assert f"/account/orders/{order.number}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nothing was charged" not in page
    assert 'data-order-state="paid"' in page
    order = the_order(db)
    assert order.state == OrderState.PAID and not order.needs_review
    assert order.stripe_payment_intent.startswith("pi_")
    assert stock(db, "joint-capsule") == before - 2  # the stock stays sold
    assert coupon_state(db) == (1, ["final"])

    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200
    assert the_order(db).state == OrderState.PAID
    _paid_once(db)
    _no_paid_order_cancelled(db)
    refund_order(the_order(db), 5000, actor="staff", reason="goodwill", request_id="r1")
    db.session.commit()
    assert the_order(db).state == OrderState.PARTIALLY_REFUNDED


def test_expire_orders_after_paying_completes_the_order_then_the_late_webhook_is_a_no_op(
    client, db, demo, sandbox, runner
):
    before = stock(db, "joint-capsule")
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")
    order = the_order(db)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["expire-orders"])
    assert result.exit_code == 0, result.output
    assert "Cancelled 0" in result.output and f"Completed 1 paid order(s): {order.number}" in (
        result.output
    )
    assert the_order(db).state == OrderState.PAID
    assert stock(db, "joint-capsule") == before - 2
    (event,) = events_for(sandbox, session_id, "checkout.session.completed")
    assert deliver(client, event).status_code == 200
    _paid_once(db)
    _no_paid_order_cancelled(db)
    assert the_order(db).stripe_payment_intent.startswith("pi_")


def test_cancel_page_expires_an_open_session_so_it_cannot_be_paid_later(client, db, demo, sandbox):
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    order = the_order(db)
    client.get(f"/checkout/cancel?order={order.number}")
    assert the_order(db).state == OrderState.CANCELLED
    refused = sandbox_pay_status(sandbox, session_id)
    assert refused >= 400  # Stripe no longer takes money for the cancelled order


def sandbox_pay_status(sandbox, session_id: str) -> int:
    import urllib.error

    try:
        sandbox.act(session_id, "pay")
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def test_cancel_page_when_stripe_cannot_be_asked_cancels_nothing(client, db, demo, sandbox):
    before = stock(db, "joint-capsule")
    fill_cart(client, db)
    place(client)
    order = the_order(db)
    sandbox.post("/faults", {"fail_next": 10, "status": 500})
    response = client.get(f"/checkout/cancel?order={order.number}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert the_order(db).state == OrderState.PENDING_PAYMENT
    assert stock(db, "joint-capsule") == before - 2  # held until Stripe says otherwise
    cart = client.get("/cart").get_data(as_text=True)
    assert "could not confirm" in cart and "Joint Care Capsules" in cart


def test_a_delayed_payment_still_clearing_is_not_cancelled_by_expiry(
    client, db, demo, sandbox, runner
):
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay_delayed")
    order = the_order(db)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["expire-orders"])
    assert "Cancelled 0" in result.output and order.number in result.output
    assert the_order(db).state == OrderState.PENDING_PAYMENT
    sandbox.act(session_id, "async_succeed")
    (event,) = events_for(sandbox, session_id, "checkout.session.async_payment_succeeded")
    assert deliver(client, event).status_code == 200
    assert the_order(db).state == OrderState.PAID


def test_a_paid_order_without_a_stored_payment_intent_is_still_refundable(
    client, db, demo, sandbox
):
    order = _paid(client, db, sandbox)
    intent = order.stripe_payment_intent
    order.stripe_payment_intent = None  # as orders completed by older code may be
    db.session.commit()
    refund = refund_order(the_order(db), 5000, actor="staff", reason="late", request_id="r1")
    db.session.commit()
    assert refund.stripe_refund_id.startswith("re_")
    assert the_order(db).stripe_payment_intent == intent
    assert the_order(db).state == OrderState.PARTIALLY_REFUNDED


def test_expire_orders_keeps_an_order_stripe_cannot_confirm(client, db, demo, sandbox, runner):
    before = stock(db, "joint-capsule")
    fill_cart(client, db)
    place(client)
    order = the_order(db)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    sandbox.post("/faults", {"fail_next": 10, "status": 503})
    result = runner.invoke(args=["expire-orders"])
    assert result.exit_code == 0
    assert "Cancelled 0" in result.output and f"could not confirm yet: {order.number}" in (
        result.output
    )
    assert the_order(db).state == OrderState.PENDING_PAYMENT
    assert stock(db, "joint-capsule") == before - 2
    sandbox.post("/faults", {"fail_next": 0})
    assert order.number in runner.invoke(args=["expire-orders"]).output  # next run cancels it
    assert the_order(db).state == OrderState.CANCELLED
    assert stock(db, "joint-capsule") == before


def test_an_expired_event_for_a_completed_session_completes_instead(client, db, demo, sandbox):
    fill_cart(client, db)
    session_id = session_id_of(place(client))
    sandbox.act(session_id, "pay")
    (completed,) = events_for(sandbox, session_id, "checkout.session.completed")
    odd = {**completed, "id": "evt_odd", "type": "checkout.session.expired"}
    assert deliver(client, odd).status_code == 200
    assert the_order(db).state == OrderState.PAID
    _no_paid_order_cancelled(db)


def test_the_cancel_page_of_an_order_already_paid_does_not_say_nothing_was_charged(
    client, db, demo, sandbox
):
    order = _paid(client, db, sandbox)  # the webhook came first this time
    response = client.get(f"/checkout/cancel?order={order.number}")
    assert f"/account/orders/{order.number}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nothing was charged" not in page and "went through" in page
    assert the_order(db).state == OrderState.PAID
