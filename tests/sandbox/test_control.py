"""Test-control endpoints: injected faults and delays, tampering, reset, the clock."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.sandbox.conftest import API_KEY, session_params


def test_fail_next_answers_api_errors_then_recovers(make_session, control, stripe_client):
    assert control.ok("/faults", {"fail_next": 2, "status": 503})["fail_next"] == 2

    for _ in range(2):
        with pytest.raises(stripe.APIError) as caught:
            make_session()
        assert caught.value.http_status == 503
        assert caught.value.error.type == "api_error"
    session = make_session()
    assert session.status == "open"
    assert [r["status"] for r in control.requests()] == [503, 503, 200]


def test_the_librarys_own_retry_reuses_its_idempotency_key(sandbox_server, control):
    client = stripe.StripeClient(
        API_KEY, base_addresses={"api": sandbox_server.url}, max_network_retries=1
    )
    control.ok("/faults", {"fail_next": 1, "status": 500})
    session = client.v1.checkout.sessions.create(params=session_params())

    first, retry = control.requests()
    assert (first["status"], retry["status"]) == (500, 200)
    assert first["idempotency_key"] == retry["idempotency_key"] is not None
    assert session.id.startswith("cs_test_")


def test_a_slow_answer_times_out_and_the_retry_replays_the_work(sandbox_server, control):
    impatient = stripe.StripeClient(
        API_KEY,
        base_addresses={"api": sandbox_server.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.5),
    )
    control.ok("/faults", {"delay_next": 1, "seconds": 1.5})
    options = {"idempotency_key": "order-RS-7"}

    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.checkout.sessions.create(params=session_params(), options=options)
    assert time.monotonic() - started < 1.4

    again = impatient.v1.checkout.sessions.create(params=session_params(), options=options)
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    logged = control.requests()
    assert [(r["status"], r["replayed"]) for r in logged] == [(200, False), (200, True)]


def test_tamper_overwrites_session_fields(make_session, control, stripe_client):
    session = make_session()
    tampered = control.ok(f"/sessions/{session.id}/tamper", {"amount_total": 1, "currency": "usd"})
    assert (tampered["amount_total"], tampered["currency"]) == (1, "usd")

    control.ok(f"/sessions/{session.id}/pay")
    fetched = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (fetched.amount_total, fetched.currency) == (1, "usd")
    (event,) = control.events("checkout.session.completed")
    assert event["event"]["data"]["object"]["amount_total"] == 1

    status, body = control.post(f"/sessions/{session.id}/tamper", {"nonsense": 1})
    assert status == 400
    assert body["error"]["param"] == "nonsense"


def test_reset_forgets_everything(make_session, control, stripe_client):
    session = make_session()
    control.ok(f"/sessions/{session.id}/pay")
    control.ok("/faults", {"fail_next": 5})

    control.ok("/reset")
    assert control.get("/events")["data"] == []
    assert control.requests() == []
    with pytest.raises(stripe.InvalidRequestError):  # and the faults are gone too
        stripe_client.v1.checkout.sessions.retrieve(session.id)


def test_advancing_the_clock_expires_overdue_sessions(make_session, control, stripe_client):
    soon = make_session(expires_at=int(time.time()) + 31 * 60)
    later = make_session()

    control.ok("/clock", {"advance": 32 * 60})

    assert stripe_client.v1.checkout.sessions.retrieve(soon.id).status == "expired"
    assert stripe_client.v1.checkout.sessions.retrieve(later.id).status == "open"
    (event,) = control.events("checkout.session.expired")
    assert event["event"]["data"]["object"]["id"] == soon.id
    status, page = control.page(f"/pay/{soon.id}")
    assert "expired" in page


@pytest.mark.parametrize(
    "payload",
    [{}, {"fail_next": -1}, {"fail_next": 1, "status": 200}, {"delay_next": 1, "seconds": "x"}],
)
def test_bad_fault_requests_are_refused(control, payload):
    status, body = control.post("/faults", payload)
    assert status == 400
    assert body["error"]["message"]


def test_unknown_control_action_is_a_json_404(make_session, control):
    status, body = control.post(f"/sessions/{make_session().id}/refund_everything")
    assert status == 404
    assert "Unknown action" in body["error"]["message"]
