"""Manual capture through the real stripe library: authorise, then capture or cancel."""

from __future__ import annotations

import pytest
import stripe

MANUAL = {"metadata": {"order_number": "RS-1001"}, "capture_method": "manual"}


@pytest.fixture()
def authorised(make_session, control, stripe_client):
    session = make_session(payment_intent_data=MANUAL)
    control.ok(f"/sessions/{session.id}/pay")
    return stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )


def test_paying_a_manual_capture_session_only_authorises(authorised, control):
    assert authorised.status == "complete"
    assert authorised.payment_status == "unpaid"  # as Stripe: the money is not taken yet
    intent = authorised.payment_intent
    assert intent.status == "requires_capture"
    assert (intent.amount_capturable, intent.amount_received) == (141700, 0)
    assert intent.capture_method == "manual"
    assert intent.metadata.to_dict() == {"order_number": "RS-1001"}
    (event,) = control.events("payment_intent.amount_capturable_updated")
    assert event["event"]["data"]["object"]["id"] == intent.id
    assert control.events("checkout.session.completed")


def test_capture_takes_the_money_and_tells_the_webhook(authorised, stripe_client, control):
    intent_id = authorised.payment_intent.id
    captured = stripe_client.v1.payment_intents.capture(
        intent_id, options={"idempotency_key": "capture-1"}
    )
    assert captured.status == "succeeded"
    assert captured.amount_received == 141700
    again = stripe_client.v1.payment_intents.capture(
        intent_id, options={"idempotency_key": "capture-1"}
    )
    assert again.status == "succeeded"  # the same key replays the answer, no second capture
    session = stripe_client.v1.checkout.sessions.retrieve(authorised.id)
    assert session.payment_status == "paid"
    charge = stripe_client.v1.charges.retrieve(captured.latest_charge)
    assert (charge.captured, charge.amount_captured) == (True, 141700)
    (event,) = control.events("payment_intent.succeeded")
    assert event["event"]["data"]["object"]["status"] == "succeeded"
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 100})
    assert refund.status == "succeeded"  # a captured payment refunds as usual


def test_cancel_releases_the_authorisation(authorised, stripe_client, control):
    intent_id = authorised.payment_intent.id
    cancelled = stripe_client.v1.payment_intents.cancel(intent_id)
    assert cancelled.status == "canceled"
    assert cancelled.amount_capturable == 0
    (event,) = control.events("payment_intent.canceled")
    assert event["event"]["data"]["object"]["id"] == intent_id
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.capture(intent_id)
    assert info.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.cancel(intent_id)


def test_a_captured_payment_cannot_be_cancelled(authorised, stripe_client):
    intent_id = authorised.payment_intent.id
    stripe_client.v1.payment_intents.capture(intent_id)
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.cancel(intent_id)
    assert info.value.code == "payment_intent_unexpected_state"


def test_an_automatic_payment_cannot_be_captured(make_session, control, stripe_client):
    session = make_session()
    control.ok(f"/sessions/{session.id}/pay")
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.capture(intent_id)


def test_an_authorisation_lapses_after_seven_days(authorised, stripe_client, control):
    control.ok("/clock", {"advance": 7 * 24 * 3600 + 1})
    intent = stripe_client.v1.payment_intents.retrieve(authorised.payment_intent.id)
    assert (intent.status, intent.cancellation_reason) == ("canceled", "automatic")


def test_unknown_capture_method_and_bank_transfer_are_refused(make_session, control):
    with pytest.raises(stripe.InvalidRequestError):
        make_session(payment_intent_data={"capture_method": "later"})
    session = make_session(payment_intent_data=MANUAL)
    status, body = control.post(f"/sessions/{session.id}/pay_delayed")
    assert status == 400 and "authorised" in body["error"]["message"]


def test_capture_of_an_unknown_intent_is_404(stripe_client, control):
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.capture("pi_missing")
    assert info.value.http_status == 404
