"""Fixtures: the Stripe sandbox on a real port, a webhook receiver, and the real stripe
library pointed at the sandbox. Everything goes over HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe
from werkzeug.serving import WSGIRequestHandler, make_server

from shop.payments.sandbox import SandboxServer

API_KEY = "sk_test_sandbox"
WEBHOOK_SECRET = "whsec_test_sandbox"
RETRY_DELAYS = (0.05, 0.1, 0.15, 0.2)  # five tries, fast


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]
    status: int


@dataclass
class Receiver:
    """A webhook endpoint that records every POST and can be told to answer 500."""

    url: str = ""
    received: list[Delivery] = field(default_factory=list)
    failures: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        with self.cond:
            status = 500 if self.failures > 0 else 200
            self.failures = max(0, self.failures - 1)
            self.received.append(Delivery(body, headers, status))
            self.cond.notify_all()
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}", [("Content-Type", "text/plain")]
        )
        return [b"ok" if status == 200 else b"boom"]

    def fail_next(self, count: int) -> None:
        with self.cond:
            self.failures = count

    def clear(self) -> None:
        with self.cond:
            self.received.clear()
            self.failures = 0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")
            return list(self.received)


class Control:
    """Plain HTTP calls to the sandbox (test control, hosted page, raw API)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.netloc = urlsplit(base_url).netloc

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request, redirects NOT followed."""
        connection = http.client.HTTPConnection(self.netloc, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, Any]:
        body = json.dumps(data or {}).encode()
        status, _, raw = self.request(
            "POST", "/_sandbox" + path, body, {"Content-Type": "application/json"}
        )
        return status, json.loads(raw)

    def get(self, path: str) -> Any:
        status, _, raw = self.request("GET", "/_sandbox" + path)
        assert status == 200, raw
        return json.loads(raw)

    def ok(self, path: str, data: dict[str, Any] | None = None) -> Any:
        status, body = self.post(path, data)
        assert status == 200, body
        return body

    def form(self, path: str, fields: dict[str, str] | None = None) -> tuple[int, dict, str]:
        body = "&".join(f"{k}={v}" for k, v in (fields or {}).items()).encode()
        status, headers, raw = self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        return status, headers, raw.decode()

    def page(self, path: str) -> tuple[int, str]:
        status, _, raw = self.request("GET", path)
        return status, raw.decode()

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        self.ok("/drain", {"timeout": 5})
        suffix = f"?type={event_type}" if event_type else ""
        return self.get("/events" + suffix)["data"]

    def requests(self) -> list[dict[str, Any]]:
        return self.get("/requests")["data"]


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    recorder = Receiver()
    server = make_server("127.0.0.1", 0, recorder, threaded=True, request_handler=_Quiet)
    recorder.url = f"http://127.0.0.1:{server.port}/stripe/webhook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def sandbox_server(receiver: Receiver) -> Iterator[SandboxServer]:
    server = SandboxServer(
        "127.0.0.1",
        0,
        webhook_url=receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        retry_delays=RETRY_DELAYS,
        delivery_timeout=5,
    ).start()
    yield server
    server.stop()


@pytest.fixture()
def control(sandbox_server: SandboxServer, receiver: Receiver) -> Control:
    helper = Control(sandbox_server.url)
    helper.ok("/reset")
    receiver.clear()
    return helper


@pytest.fixture()
def stripe_client(sandbox_server: SandboxServer, control: Control) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": sandbox_server.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=5),
    )


def session_params(**overrides: Any) -> dict[str, Any]:
    """A two-line order: 2 × ₹349 + 1 × ₹719 = ₹1,417 (141700 paise)."""
    params: dict[str, Any] = {
        "mode": "payment",
        "currency": "inr",
        "line_items": [
            {
                "price_data": {
                    "currency": "inr",
                    "unit_amount": 34900,
                    "product_data": {"name": "Joint pain oil 100 ml"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "inr",
                    "unit_amount": 71900,
                    "product_data": {"name": "Joint capsules (60)"},
                },
                "quantity": 1,
            },
        ],
        "success_url": "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/checkout/cancel",
        "client_reference_id": "RS-1001",
        "metadata": {"order": "RS-1001"},
        "customer_email": "asha@example.com",
        "payment_intent_data": {"metadata": {"order": "RS-1001"}},
    }
    params.update(overrides)
    return params


@pytest.fixture()
def make_session(stripe_client: stripe.StripeClient):
    def create(options: dict[str, Any] | None = None, **overrides: Any):
        return stripe_client.v1.checkout.sessions.create(
            params=session_params(**overrides), options=options
        )

    return create
