"""Refunds: full, partial, cumulative `charge.refunded` events, over-refund refused."""

from __future__ import annotations

import pytest
import stripe


@pytest.fixture()
def paid(make_session, control, stripe_client):
    session = make_session()
    control.ok(f"/sessions/{session.id}/pay")
    return stripe_client.v1.payment_intents.retrieve(
        stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    )


def _refund_events(control):
    return [r["event"]["data"] for r in control.events("charge.refunded")]


def test_a_refund_without_amount_refunds_everything(paid, stripe_client, control):
    refund = stripe_client.v1.refunds.create(
        params={
            "payment_intent": paid.id,
            "reason": "requested_by_customer",
            "metadata": {"order": "RS-1001"},
        },
        options={"idempotency_key": "refund-RS-1001-1"},
    )

    assert refund.object == "refund"
    assert refund.id.startswith("re_")
    assert (refund.amount, refund.currency, refund.status) == (141700, "inr", "succeeded")
    assert refund.payment_intent == paid.id
    assert refund.charge == paid.latest_charge
    assert refund.reason == "requested_by_customer"
    assert refund.metadata.to_dict() == {"order": "RS-1001"}

    (data,) = _refund_events(control)
    charge = data["object"]
    assert charge["object"] == "charge"
    assert charge["id"] == paid.latest_charge
    assert charge["payment_intent"] == paid.id
    assert (charge["amount"], charge["amount_refunded"]) == (141700, 141700)
    assert charge["refunded"] is True
    assert charge["metadata"] == {"order": "RS-1001"}
    assert data["previous_attributes"] == {"amount_refunded": 0, "refunded": False}


def test_partial_refunds_add_up_and_the_last_one_completes(paid, stripe_client, control):
    stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 40000})
    stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1700})
    rest = stripe_client.v1.refunds.create(params={"payment_intent": paid.id})

    assert rest.amount == 141700 - 40000 - 1700
    charges = [data["object"] for data in _refund_events(control)]
    assert [(c["amount_refunded"], c["refunded"]) for c in charges] == [
        (40000, False),
        (41700, False),
        (141700, True),
    ]
    assert stripe_client.v1.charges.retrieve(paid.latest_charge).amount_refunded == 141700

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1})
    assert caught.value.code == "charge_already_refunded"
    assert len(_refund_events(control)) == 3


def test_refunding_more_than_remains_is_refused(paid, stripe_client, control):
    stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 141000})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 701})
    assert caught.value.param == "amount"
    assert caught.value.code == "amount_too_large"
    ok = stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 700})
    assert ok.amount == 700


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "payment_intent"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"reason": "changed_my_mind"}, "reason"),
        ({"description": "x"}, "description"),
    ],
)
def test_invalid_refund_params(paid, stripe_client, params, param):
    full = {"payment_intent": paid.id, **params} if params else {}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params=full)
    assert caught.value.param == param


def test_refund_of_unknown_payment_intent(stripe_client, control):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": "pi_missing"})
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "payment_intent"


def test_refunds_can_be_retrieved_and_listed_per_payment_intent(
    paid, stripe_client, make_session, control
):
    first = stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 100})
    second = stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 200})
    other_session = make_session()
    other = control.ok(f"/sessions/{other_session.id}/pay")
    stripe_client.v1.refunds.create(params={"payment_intent": other["payment_intent"]})

    assert stripe_client.v1.refunds.retrieve(first.id).amount == 100
    listed = stripe_client.v1.refunds.list(params={"payment_intent": paid.id})
    assert [r.id for r in listed.data] == [second.id, first.id]  # newest first
    assert listed.has_more is False
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.retrieve("re_missing")
    assert caught.value.http_status == 404
