"""Signed webhook delivery: verifiable bodies, retries, duplicates, endpoint changes."""

from __future__ import annotations

import json

import pytest
import stripe

from tests.sandbox.conftest import WEBHOOK_SECRET


def test_completed_event_arrives_signed_and_verifiable(
    make_session, control, receiver, stripe_client
):
    session = make_session()
    control.ok(f"/sessions/{session.id}/pay")

    (delivery,) = receiver.wait_for(1)
    assert delivery.headers["Content-Type"].startswith("application/json")
    event = stripe.Webhook.construct_event(
        delivery.body, delivery.headers["Stripe-Signature"], WEBHOOK_SECRET
    )
    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert event.type == "checkout.session.completed"
    assert event.livemode is False
    assert event.api_version == stripe.api_version
    payload = event.data.object
    assert payload.id == session.id
    assert payload.object == "checkout.session"
    assert (payload.amount_total, payload.currency) == (141700, "inr")
    assert payload.payment_status == "paid"
    assert payload.client_reference_id == "RS-1001"
    assert payload.metadata.order == "RS-1001"

    (record,) = control.events()
    assert record["id"] == event.id
    assert record["delivered"] is True
    assert [a["status"] for a in record["attempts"]] == [200]
    assert stripe_client.v1.events.retrieve(event.id).type == "checkout.session.completed"


def test_the_signature_covers_the_exact_bytes(make_session, control, receiver):
    control.ok(f"/sessions/{make_session().id}/pay")
    (delivery,) = receiver.wait_for(1)
    reserialised = json.dumps(json.loads(delivery.body)).encode()
    assert reserialised != delivery.body
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            reserialised, delivery.headers["Stripe-Signature"], WEBHOOK_SECRET
        )


def test_failed_deliveries_are_retried_until_a_2xx(make_session, control, receiver):
    receiver.fail_next(2)
    control.ok(f"/sessions/{make_session().id}/pay")

    deliveries = receiver.wait_for(3)
    assert [d.status for d in deliveries] == [500, 500, 200]
    assert len({d.body for d in deliveries}) == 1  # the same event each time
    for delivery in deliveries:
        stripe.Webhook.construct_event(
            delivery.body, delivery.headers["Stripe-Signature"], WEBHOOK_SECRET
        )
    (record,) = control.events()
    assert [a["status"] for a in record["attempts"]] == [500, 500, 200]
    assert [a["attempt"] for a in record["attempts"]] == [1, 2, 3]
    assert record["delivered"] is True


def test_delivery_gives_up_after_five_tries(make_session, control, receiver):
    receiver.fail_next(100)
    control.ok(f"/sessions/{make_session().id}/pay")

    (record,) = control.events()
    assert [a["status"] for a in record["attempts"]] == [500] * 5
    assert record["delivered"] is False
    assert len(receiver.received) == 5


def test_unreachable_endpoint_is_recorded_as_an_error(make_session, control):
    control.ok("/webhook", {"url": "http://127.0.0.1:9/unreachable"})
    control.ok(f"/sessions/{make_session().id}/pay")
    (record,) = control.events()
    assert len(record["attempts"]) == 5
    assert all(a["status"] is None and a["error"] for a in record["attempts"])


def test_resend_delivers_the_same_event_again(make_session, control, receiver):
    control.ok(f"/sessions/{make_session().id}/pay")
    (first,) = receiver.wait_for(1)
    event_id = json.loads(first.body)["id"]

    assert control.ok(f"/events/{event_id}/resend") == {"id": event_id, "queued": True}
    deliveries = receiver.wait_for(2)
    assert [json.loads(d.body)["id"] for d in deliveries] == [event_id, event_id]
    (record,) = control.events()
    assert [(a["delivery"], a["status"]) for a in record["attempts"]] == [(1, 200), (2, 200)]

    status, body = control.post("/events/evt_unknown/resend")
    assert status == 404
    assert body["error"]["code"] == "resource_missing"


def test_without_a_webhook_url_events_are_only_recorded(make_session, control, receiver):
    control.ok("/webhook", {"url": None})
    control.ok(f"/sessions/{make_session().id}/pay")

    (record,) = control.events()
    assert record["type"] == "checkout.session.completed"
    assert record["attempts"] == []
    assert record["event"]["pending_webhooks"] == 0
    assert receiver.received == []
    status, _ = control.post(f"/events/{record['id']}/resend")
    assert status == 409


def test_the_endpoint_and_secret_can_change_at_runtime(make_session, control, receiver):
    control.ok("/webhook", {"url": receiver.url, "secret": "whsec_rotated"})
    control.ok(f"/sessions/{make_session().id}/pay")

    (delivery,) = receiver.wait_for(1)
    signature = delivery.headers["Stripe-Signature"]
    assert stripe.Webhook.construct_event(delivery.body, signature, "whsec_rotated")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, signature, WEBHOOK_SECRET)


def test_reset_restores_the_configured_endpoint(make_session, control, receiver):
    control.ok("/webhook", {"url": None})
    control.ok("/reset")
    control.ok(f"/sessions/{make_session().id}/pay")
    assert len(receiver.wait_for(1)) == 1


def test_events_are_listed_oldest_first(make_session, control):
    one, two = make_session(), make_session()
    control.ok(f"/sessions/{one.id}/pay")
    control.ok(f"/sessions/{two.id}/expire")
    assert [r["type"] for r in control.events()] == [
        "checkout.session.completed",
        "checkout.session.expired",
    ]
    assert [r["event"]["data"]["object"]["id"] for r in control.events()] == [one.id, two.id]
