"""`payment_intent_data.shipping`: the sandbox accepts it, keeps it on the PaymentIntent
and returns it, and refuses a malformed one as Stripe would."""

from __future__ import annotations

import pytest
import stripe

SHIPPING = {
    "name": "Asha Rao",
    "phone": "+919845012345",
    "address": {
        "line1": "12 MG Road",
        "line2": "Near the metro",
        "city": "Bengaluru",
        "state": "Karnataka",
        "postal_code": "560001",
        "country": "IN",
    },
}


def test_shipping_reaches_the_payment_intent(make_session, control, stripe_client):
    session = make_session(payment_intent_data={"shipping": SHIPPING})
    control.ok(f"/sessions/{session.id}/pay")
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    intent = stripe_client.v1.payment_intents.retrieve(intent_id)
    assert intent.shipping.to_dict() == {**SHIPPING, "carrier": None, "tracking_number": None}
    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert expanded.payment_intent.shipping.name == "Asha Rao"


def test_without_shipping_the_intent_has_none(make_session, control, stripe_client):
    session = make_session()
    control.ok(f"/sessions/{session.id}/pay")
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert stripe_client.v1.payment_intents.retrieve(intent_id).shipping is None


@pytest.mark.parametrize(
    ("shipping", "param"),
    [
        ({**SHIPPING, "name": ""}, "payment_intent_data[shipping][name]"),
        ({"name": "Asha"}, "payment_intent_data[shipping][address]"),
        (
            {**SHIPPING, "address": {"city": "Pune"}},
            "payment_intent_data[shipping][address][line1]",
        ),
        (
            {**SHIPPING, "address": {**SHIPPING["address"], "country": "IND"}},
            "payment_intent_data[shipping][address][country]",
        ),
        ({**SHIPPING, "colour": "red"}, "payment_intent_data[shipping][colour]"),
    ],
)
def test_a_malformed_shipping_hash_is_refused(make_session, shipping, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        make_session(payment_intent_data={"shipping": shipping})
    assert refused.value.param == param
