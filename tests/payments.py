"""Driving the payment sandbox from tests: its control endpoints and signed webhooks."""

from __future__ import annotations

import json
import time
import urllib.request

from shop.payments.sandbox import sign_payload

WEBHOOK_SECRET = "whsec_test_shop"


class SandboxControl:
    """Plain HTTP calls to the sandbox's /_sandbox/ test-control endpoints."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def post(self, path: str, data: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base_url + "/_sandbox" + path,
            data=json.dumps(data or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.base_url + "/_sandbox" + path, timeout=10) as response:
            return json.loads(response.read())

    def act(self, session_id: str, action: str, **data) -> dict:
        return self.post(f"/sessions/{session_id}/{action}", data)

    def events(self, event_type: str | None = None) -> list[dict]:
        self.post("/drain", {"timeout": 5})
        suffix = f"?type={event_type}" if event_type else ""
        return self.get("/events" + suffix)["data"]

    def requests(self) -> list[dict]:
        return self.get("/requests")["data"]

    def point_webhooks_at(self, url: str | None) -> None:
        self.post("/webhook", {"url": url, "secret": WEBHOOK_SECRET})

    def reset(self) -> None:
        self.post("/reset")
        self.point_webhooks_at(None)


def signed(
    event: dict,
    *,
    secret: str = WEBHOOK_SECRET,
    at: int | None = None,
    payload: bytes | None = None,
) -> tuple[bytes, dict]:
    """The body and headers Stripe would send for `event`."""
    body = payload if payload is not None else json.dumps(event).encode()
    header = sign_payload(body, secret, at if at is not None else int(time.time()))
    return body, {"Stripe-Signature": header, "Content-Type": "application/json"}


def deliver(client, event: dict, **kwargs):
    """POST one event to the shop's webhook as Stripe would."""
    body, headers = signed(event, **kwargs)
    return client.post("/stripe/webhook", data=body, headers=headers)


def event_body(record: dict) -> dict:
    """The event object from a sandbox history record."""
    return record.get("event") or record
