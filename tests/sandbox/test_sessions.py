"""Checkout Sessions through the real stripe library: create, retrieve, line items,
expire, validation errors, authentication and idempotency."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from tests.sandbox.conftest import session_params


def test_create_returns_a_stripe_shaped_open_session(make_session, sandbox_server):
    session = make_session()

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.amount_total == 2 * 34900 + 71900 == 141700
    assert session.amount_subtotal == 141700
    assert session.currency == "inr"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.payment_intent is None
    assert session.customer_details is None
    assert session.client_reference_id == "RS-1001"
    assert session.metadata.to_dict() == {"order": "RS-1001"}
    assert session.customer_email == "asha@example.com"
    assert session.livemode is False
    assert session.mode == "payment"
    assert session.url == f"{sandbox_server.url}/pay/{session.id}"
    assert session.expires_at == pytest.approx(session.created + 24 * 3600, abs=2)


def test_two_creates_make_two_sessions(make_session):
    assert make_session().id != make_session().id


def test_retrieve_returns_the_stored_session(make_session, stripe_client):
    created = make_session(expires_at=int(time.time()) + 3600)
    fetched = stripe_client.v1.checkout.sessions.retrieve(created.id)
    assert fetched.to_dict() == created.to_dict()
    assert fetched.expires_at == created.expires_at


def test_retrieve_unknown_session_is_a_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert "cs_test_nope" in caught.value.user_message


def test_line_items_list_each_line(make_session, stripe_client):
    session = make_session()
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)

    assert items.object == "list"
    assert items.has_more is False
    rows = [
        (i.description, i.quantity, i.price.unit_amount, i.amount_total, i.currency)
        for i in items.data
    ]
    assert rows == [
        ("Joint pain oil 100 ml", 2, 34900, 69800, "inr"),
        ("Joint capsules (60)", 1, 71900, 71900, "inr"),
    ]
    assert sum(i.amount_total for i in items.data) == session.amount_total


def test_line_items_paginate(make_session, stripe_client):
    lines = [
        {
            "price_data": {
                "currency": "inr",
                "unit_amount": 100 * n,
                "product_data": {"name": f"P{n}"},
            },
            "quantity": n,
        }
        for n in range(1, 4)
    ]
    session = make_session(line_items=lines)
    assert session.amount_total == 100 * 1 + 200 * 2 + 300 * 3

    first = stripe_client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 2})
    assert [i.description for i in first.data] == ["P1", "P2"]
    assert first.has_more is True
    rest = stripe_client.v1.checkout.sessions.line_items.list(
        session.id, params={"limit": 2, "starting_after": first.data[-1].id}
    )
    assert [i.description for i in rest.data] == ["P3"]
    assert rest.has_more is False
    every = [i.description for i in first.auto_paging_iter()]
    assert every == ["P1", "P2", "P3"]


def test_retrieve_can_expand_line_items(make_session, stripe_client):
    session = make_session()
    fetched = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]}
    )
    assert [i.quantity for i in fetched.line_items.data] == [2, 1]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["customer"]})
    assert caught.value.param == "expand[0]"


def test_expire_closes_an_open_session_once(make_session, stripe_client, control):
    session = make_session()
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert expired.url is None
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"

    events = control.events("checkout.session.expired")
    assert [e["event"]["data"]["object"]["id"] for e in events] == [session.id]

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert caught.value.http_status == 400
    assert "expired" in caught.value.user_message
    assert len(control.events("checkout.session.expired")) == 1


def _line(currency="inr", unit_amount=100, quantity=1, name="Thing"):
    return {
        "price_data": {
            "currency": currency,
            "unit_amount": unit_amount,
            "product_data": {"name": name},
        },
        "quantity": quantity,
    }


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        pytest.param({"mode": None}, "mode", id="mode-missing"),
        pytest.param({"mode": "subscription"}, "mode", id="mode-unsupported"),
        pytest.param({"line_items": None}, "line_items", id="no-line-items"),
        pytest.param({"line_items": []}, "line_items", id="empty-line-items"),
        pytest.param(
            {"line_items": [_line(unit_amount=-1)]},
            "line_items[0][price_data][unit_amount]",
            id="negative-amount",
        ),
        pytest.param(
            {"line_items": [_line(unit_amount="12.50")]},
            "line_items[0][price_data][unit_amount]",
            id="fractional-amount",
        ),
        pytest.param(
            {"line_items": [_line(quantity=0)]}, "line_items[0][quantity]", id="zero-quantity"
        ),
        pytest.param(
            {"line_items": [_line(name="")]},
            "line_items[0][price_data][product_data][name]",
            id="empty-name",
        ),
        pytest.param(
            {"line_items": [_line(), _line(currency="usd")]},
            "line_items[1][price_data][currency]",
            id="mixed-currencies",
        ),
        pytest.param(
            {"currency": "usd", "line_items": [_line()]},
            "line_items[0][price_data][currency]",
            id="line-differs-from-session-currency",
        ),
        pytest.param(
            {"line_items": [_line(unit_amount=99_999_999, quantity=2)]},
            "line_items",
            id="total-too-large",
        ),
        pytest.param({"success_url": None}, "success_url", id="no-success-url"),
        pytest.param({"success_url": "shop.test/ok"}, "success_url", id="relative-success-url"),
        pytest.param({"customer_email": "not-an-email"}, "customer_email", id="bad-email"),
        pytest.param({"metadata": {"k" * 41: "v"}}, f"metadata[{'k' * 41}]", id="long-meta-key"),
        pytest.param({"foo": "bar"}, "foo", id="unknown-top-level"),
        pytest.param(
            {"line_items": [{**_line(), "tax_rates": ["txr_1"]}]},
            "line_items[0][tax_rates]",
            id="unknown-nested",
        ),
        pytest.param(
            {"line_items": [{"price": "price_123", "quantity": 1}]},
            "line_items[0][price]",
            id="price-id",
        ),
        pytest.param(
            {"payment_intent_data": {"setup_future_usage": "off_session"}},
            "payment_intent_data[setup_future_usage]",
            id="unknown-intent-data",
        ),
    ],
)
def test_invalid_create_raises_invalid_request_error_naming_the_param(
    stripe_client, control, overrides, param
):
    params = {k: v for k, v in session_params(**overrides).items() if v is not None}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(params=params)
    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert caught.value.error.type == "invalid_request_error"
    assert caught.value.user_message


def test_unknown_parameter_message_matches_stripe(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(params=session_params(foo="bar"))
    assert caught.value.user_message == "Received unknown parameter: foo"
    assert caught.value.code == "parameter_unknown"


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(29 * 60, False), (31 * 60, True), (23 * 3600, True), (25 * 3600, False)],
)
def test_expires_at_must_be_30_minutes_to_24_hours_ahead(stripe_client, offset, accepted):
    expires_at = int(time.time()) + offset
    if accepted:
        session = stripe_client.v1.checkout.sessions.create(
            params=session_params(expires_at=expires_at)
        )
        assert session.expires_at == expires_at
    else:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.checkout.sessions.create(params=session_params(expires_at=expires_at))
        assert caught.value.param == "expires_at"
        assert "expires_at" in caught.value.user_message


def test_a_zero_amount_line_is_allowed(make_session):
    session = make_session(line_items=[_line(unit_amount=500), _line(unit_amount=0, name="Gift")])
    assert session.amount_total == 500


def test_a_key_with_the_wrong_prefix_is_an_authentication_error(sandbox_server, control):
    client = stripe.StripeClient(
        "sk_live_not_for_the_sandbox",
        base_addresses={"api": sandbox_server.url},
        max_network_retries=0,
    )
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.checkout.sessions.create(params=session_params())
    assert caught.value.http_status == 401
    assert "sk_live_" in caught.value.user_message
    assert "not_for_the" not in caught.value.user_message  # the key is masked


def test_no_key_is_a_stripe_shaped_401(control):
    status, _, raw = control.request("GET", "/v1/checkout/sessions/cs_test_x")
    assert status == 401
    error = json.loads(raw)["error"]
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]


def test_unrecognized_url_is_a_stripe_shaped_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.raw_request("get", "/v1/customers/cus_123")
    assert caught.value.http_status == 404
    assert "Unrecognized request URL" in caught.value.user_message


def test_same_idempotency_key_and_params_replays_the_first_response(make_session, control):
    first = make_session(options={"idempotency_key": "order-RS-1001"})
    again = make_session(options={"idempotency_key": "order-RS-1001"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    creates = [r for r in control.requests() if r["path"] == "/v1/checkout/sessions"]
    assert [(r["idempotency_key"], r["replayed"]) for r in creates] == [
        ("order-RS-1001", False),
        ("order-RS-1001", True),
    ]


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(make_session):
    first = make_session(options={"idempotency_key": "order-RS-1002"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        make_session(options={"idempotency_key": "order-RS-1002"}, client_reference_id="RS-9")
    assert caught.value.http_status == 400
    assert "same parameters" in caught.value.user_message
    assert first.id.startswith("cs_test_")


def test_same_idempotency_key_on_another_endpoint_is_an_idempotency_error(
    make_session, stripe_client
):
    make_session(options={"idempotency_key": "shared-key"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.refunds.create(
            params={"payment_intent": "pi_x"}, options={"idempotency_key": "shared-key"}
        )
    assert "same endpoint" in caught.value.user_message


def test_a_failed_validation_is_not_remembered_for_the_key(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.create(
            params=session_params(line_items=[_line(quantity=0)]),
            options={"idempotency_key": "retry-after-fix"},
        )
    fixed = stripe_client.v1.checkout.sessions.create(
        params=session_params(line_items=[_line()]),
        options={"idempotency_key": "retry-after-fix"},
    )
    assert fixed.amount_total == 100


def test_the_request_log_records_nested_params(make_session, control):
    make_session(options={"idempotency_key": "log-me"})
    (entry,) = [r for r in control.requests() if r["method"] == "POST"]
    assert entry["idempotency_key"] == "log-me"
    assert entry["status"] == 200
    assert entry["params"]["metadata"] == {"order": "RS-1001"}
    assert entry["params"]["line_items"]["1"]["price_data"]["unit_amount"] == "71900"
    assert entry["params"]["success_url"].endswith("{CHECKOUT_SESSION_ID}")
