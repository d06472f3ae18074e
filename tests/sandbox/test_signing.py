"""The webhook signature: Stripe's exact header, accepted by the stripe library."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import stripe

from shop.payments.sandbox.signing import sign_payload

SECRET = "whsec_unit_secret"
PAYLOAD = json.dumps(
    {
        "id": "evt_unit",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_test_unit", "object": "checkout.session"}},
    },
    indent=2,
).encode()


def test_header_is_timestamp_and_hmac_sha256_of_timestamp_dot_body():
    digest = hmac.new(SECRET.encode(), b"1700000000." + PAYLOAD, hashlib.sha256).hexdigest()
    assert sign_payload(PAYLOAD, SECRET, 1700000000) == f"t=1700000000,v1={digest}"


def test_matches_the_stripe_librarys_own_test_helper():
    expected = stripe.WebhookSignature.generate_signature_header(
        PAYLOAD.decode(), SECRET, timestamp=1712345678
    )
    assert sign_payload(PAYLOAD, SECRET, 1712345678) == expected


def test_construct_event_accepts_a_fresh_signature():
    header = sign_payload(PAYLOAD, SECRET, int(time.time()))
    event = stripe.Webhook.construct_event(PAYLOAD, header, SECRET)
    assert event.id == "evt_unit"
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == "cs_test_unit"


@pytest.mark.parametrize(
    ("payload", "secret", "age"),
    [
        pytest.param(PAYLOAD.replace(b"cs_test_unit", b"cs_test_evil"), SECRET, 0, id="tampered"),
        pytest.param(PAYLOAD, "whsec_someone_else", 0, id="wrong-secret"),
        pytest.param(PAYLOAD, SECRET, 301, id="too-old"),
    ],
)
def test_construct_event_rejects(payload, secret, age):
    header = sign_payload(PAYLOAD, SECRET, int(time.time()) - age)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, secret, tolerance=300)


def test_a_signature_just_inside_the_tolerance_is_accepted():
    header = sign_payload(PAYLOAD, SECRET, int(time.time()) - 290)
    assert stripe.Webhook.construct_event(PAYLOAD, header, SECRET, tolerance=300).id == "evt_unit"
