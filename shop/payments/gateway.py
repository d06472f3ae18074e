"""The Stripe gateway: the one place the shop calls Stripe (or the sandbox standing in).

One `StripeGateway` per app, created from the app's config — no global `stripe.api_key`.
Every POST carries an idempotency key derived from the order and the operation, so a
retry after a timeout can never create a second session or a second refund. Stripe's
exceptions are translated into the shop's own:

- `PaymentUnavailable`: Stripe could not be reached, timed out or failed on its side;
  trying again later may work.
- `PaymentRejected`: Stripe refused the request as made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from flask import Flask, current_app

log = logging.getLogger(__name__)

SANDBOX_KEY = "sk_test_sandbox"
SANDBOX_WEBHOOK_SECRET = "whsec_sandbox"
SANDBOX_API_BASE = "http://127.0.0.1:12111"


class PaymentError(Exception):
    """Base of the payment errors the rest of the shop handles."""


class PaymentUnavailable(PaymentError):
    pass


class PaymentRejected(PaymentError):
    pass


class WebhookInvalid(PaymentError):
    pass


@dataclass(frozen=True)
class CheckoutLine:
    name: str
    unit_amount: int  # paise
    quantity: int


@dataclass(frozen=True)
class CreatedSession:
    id: str
    url: str


class StripeGateway:
    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        api_base: str | None,
        currency: str,
        timeout: float = 10.0,
    ) -> None:
        addresses = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(
            api_key,
            base_addresses=addresses,
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=2,
        )
        self.webhook_secret = webhook_secret
        self.currency = currency.lower()

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            log.warning("stripe %s: unreachable: %s", what, error)
            raise PaymentUnavailable("The payment service did not answer in time.") from error
        except stripe.APIError as error:
            log.warning("stripe %s: server error: %s", what, error)
            raise PaymentUnavailable("The payment service had a problem.") from error
        except stripe.StripeError as error:
            log.error("stripe %s: refused: %s", what, error)
            raise PaymentRejected(getattr(error, "user_message", None) or str(error)) from error

    def create_checkout_session(
        self,
        *,
        order_number: str,
        lines: list[CheckoutLine],
        email: str,
        expires_at: int,
        success_url: str,
        cancel_url: str,
        shipping: dict | None = None,
        attempt: int = 1,
    ) -> CreatedSession:
        """`shipping` is the order's delivery address in Stripe's shape (name, phone,
        address); it becomes the PaymentIntent's `shipping`, shown on Stripe's receipts."""
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": self.currency,
                        "unit_amount": line.unit_amount,
                        "product_data": {"name": line.name},
                    },
                    "quantity": line.quantity,
                }
                for line in lines
            ],
            "client_reference_id": order_number,
            "metadata": {"order_number": order_number},
            "customer_email": email,
            "expires_at": expires_at,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if shipping:
            params["payment_intent_data"] = {"shipping": shipping}
        session = self._call(
            "create session",
            self.client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": f"order-{order_number}-session-{attempt}"},
        )
        return CreatedSession(id=session.id, url=session.url)

    def retrieve_session(self, session_id: str) -> dict:
        session = self._call(
            "retrieve session", self.client.v1.checkout.sessions.retrieve, session_id
        )
        return session.to_dict()

    def expire_session(self, session_id: str, order_number: str) -> None:
        self._call(
            "expire session",
            self.client.v1.checkout.sessions.expire,
            session_id,
            options={"idempotency_key": f"order-{order_number}-expire-{session_id}"},
        )

    def refund(
        self, *, payment_intent: str, amount: int, idempotency_key: str, reason_note: str
    ) -> dict:
        refund = self._call(
            "refund",
            self.client.v1.refunds.create,
            params={
                "payment_intent": payment_intent,
                "amount": amount,
                "metadata": {"note": reason_note[:450]},
            },
            options={"idempotency_key": idempotency_key},
        )
        return refund.to_dict()

    def parse_webhook(self, payload: bytes, signature: str | None) -> dict:
        """Verify the signature (300 s tolerance) and return the event as a dict."""
        if not signature:
            raise WebhookInvalid("missing Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self.webhook_secret, tolerance=300
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookInvalid(f"bad signature: {error}") from error
        except ValueError as error:
            raise WebhookInvalid(f"malformed payload: {error}") from error
        return event.to_dict()


def init_payments(app: Flask) -> None:
    config = app.config
    sandbox = not config.get("STRIPE_SECRET_KEY")
    config["PAYMENTS_SANDBOX"] = sandbox
    if sandbox:
        config["STRIPE_API_BASE"] = config.get("STRIPE_API_BASE") or SANDBOX_API_BASE
        config["STRIPE_WEBHOOK_SECRET"] = (
            config.get("STRIPE_WEBHOOK_SECRET") or SANDBOX_WEBHOOK_SECRET
        )
    app.extensions["payments"] = StripeGateway(
        api_key=config.get("STRIPE_SECRET_KEY") or SANDBOX_KEY,
        webhook_secret=config["STRIPE_WEBHOOK_SECRET"],
        api_base=config.get("STRIPE_API_BASE"),
        currency=config["SHOP_CURRENCY"],
        timeout=config.get("STRIPE_TIMEOUT", 10.0),
    )


def gateway() -> StripeGateway:
    return current_app.extensions["payments"]
