"""The hosted checkout page over plain HTTP: Pay, Decline, Cancel, bank transfer."""

from __future__ import annotations

import html
import re

import pytest
import stripe


def _path(session) -> str:
    return f"/pay/{session.id}"


def test_page_shows_the_banner_lines_total_and_four_buttons(make_session, control):
    session = make_session()
    status, page = control.page(_path(session))

    assert status == 200
    text = html.unescape(page)
    assert "Stripe sandbox — test payments, no real money" in text
    assert "Joint pain oil 100 ml" in text
    assert "INR 698.00" in text  # 2 × 349
    assert "INR 1417.00" in text  # the total
    for action in ("pay", "decline", "cancel", "pay_delayed"):
        assert f'action="/pay/{session.id}/{action}"' in page
    assert "<script" not in page


def test_pay_completes_the_session_and_redirects_to_success_url(
    make_session, control, stripe_client
):
    session = make_session()
    status, headers, _ = control.form(_path(session) + "/pay")

    assert status == 303
    assert headers["Location"] == f"http://shop.test/checkout/success?session_id={session.id}"
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.url is None
    assert paid.customer_details.email == "asha@example.com"
    assert paid.payment_intent.startswith("pi_")

    intent = stripe_client.v1.payment_intents.retrieve(paid.payment_intent)
    assert intent.status == "succeeded"
    assert intent.amount == intent.amount_received == 141700
    assert intent.currency == "inr"
    assert intent.latest_charge.startswith("ch_")
    assert intent.metadata.to_dict() == {"order": "RS-1001"}

    (event,) = control.events("checkout.session.completed")
    assert event["event"]["data"]["object"]["payment_status"] == "paid"


def test_pay_uses_the_email_typed_on_the_page_when_none_was_given(
    make_session, control, stripe_client
):
    session = make_session(customer_email=None)
    _, page = control.page(_path(session))
    assert 'name="email"' in page
    control.form(_path(session) + "/pay", {"email": "typed%40example.com"})
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert paid.customer_details.email == "typed@example.com"


def test_success_url_without_placeholder_is_used_as_is(make_session, control):
    session = make_session(success_url="http://shop.test/thanks")
    _, headers, _ = control.form(_path(session) + "/pay")
    assert headers["Location"] == "http://shop.test/thanks"


def test_decline_shows_the_card_error_and_keeps_the_session_open(
    make_session, control, stripe_client
):
    session = make_session()
    status, _, page = control.form(_path(session) + "/decline")

    assert status == 200
    assert "Your card was declined." in page
    assert f'action="/pay/{session.id}/pay"' in page  # can try again
    fetched = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (fetched.status, fetched.payment_status) == ("open", "unpaid")
    assert fetched.payment_intent is None
    assert control.events() == []


def test_cancel_goes_back_to_the_shop_and_keeps_the_session_open(
    make_session, control, stripe_client
):
    session = make_session()
    status, headers, _ = control.form(_path(session) + "/cancel")

    assert status == 303
    assert headers["Location"] == "http://shop.test/checkout/cancel"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert control.events() == []


def test_completed_session_page_has_no_buttons_and_cannot_be_paid_twice(make_session, control):
    session = make_session()
    control.form(_path(session) + "/pay")

    _, page = control.page(_path(session))
    assert "complete" in page
    assert "<form" not in page
    status, _, page = control.form(_path(session) + "/pay")
    assert status == 409
    assert "<form" not in page
    assert len(control.events("checkout.session.completed")) == 1


def test_expired_session_page_says_so(make_session, control, stripe_client):
    session = make_session()
    stripe_client.v1.checkout.sessions.expire(session.id)
    status, page = control.page(_path(session))
    assert status == 200
    assert "expired" in page
    assert "<form" not in page


def test_unknown_session_page_is_a_404(control):
    status, page = control.page("/pay/cs_test_missing")
    assert status == 404
    assert "not found" in page
    status, _, _ = control.form("/pay/cs_test_missing/pay")
    assert status == 404


def test_bank_transfer_completes_unpaid_then_settles(make_session, control, stripe_client):
    session = make_session()
    status, headers, _ = control.form(_path(session) + "/pay_delayed")
    assert status == 303
    assert session.id in headers["Location"]

    pending = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    assert stripe_client.v1.payment_intents.retrieve(pending.payment_intent).status == "processing"
    (completed,) = control.events("checkout.session.completed")
    assert completed["event"]["data"]["object"]["payment_status"] == "unpaid"

    settled = control.ok(f"/sessions/{session.id}/async_succeed")
    assert settled["payment_status"] == "paid"
    (succeeded,) = control.events("checkout.session.async_payment_succeeded")
    assert succeeded["event"]["data"]["object"]["payment_status"] == "paid"
    intent = stripe_client.v1.payment_intents.retrieve(pending.payment_intent)
    assert (intent.status, intent.amount_received) == ("succeeded", 141700)

    status, body = control.post(f"/sessions/{session.id}/async_succeed")
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"


def test_bank_transfer_can_fail(make_session, control, stripe_client):
    session = make_session()
    control.ok(f"/sessions/{session.id}/pay_delayed")
    failed = control.ok(f"/sessions/{session.id}/async_fail")

    assert (failed["status"], failed["payment_status"]) == ("complete", "unpaid")
    (event,) = control.events("checkout.session.async_payment_failed")
    assert event["event"]["data"]["object"]["id"] == session.id
    intent = stripe_client.v1.payment_intents.retrieve(failed["payment_intent"])
    assert intent.status == "requires_payment_method"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert caught.value.param == "payment_intent"


def test_control_pay_returns_the_session_json(make_session, control):
    session = make_session()
    paid = control.ok(f"/sessions/{session.id}/pay")
    assert paid["id"] == session.id
    assert paid["payment_status"] == "paid"
    assert re.match(r"^pi_\w+$", paid["payment_intent"])
    status, body = control.post(f"/sessions/{session.id}/pay")
    assert status == 400
    assert "complete" in body["error"]["message"]
