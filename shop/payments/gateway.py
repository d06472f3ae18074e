"""The Stripe gateway: the one place the shop calls Stripe (or the sandbox standing in).

One `StripeGateway` per app, created from the app's config — no global `stripe.api_key`.
Every POST carries an idempotency key derived from the order and the operation, so a
retry after a timeout can never create a second session or a second refund. Stripe's
exceptions are translated into the shop's own:

- `PaymentUnavailable`: Stripe could not be reached, timed out or failed on its side;
  trying again later may work.
- `PaymentRejected`: Stripe refused the request as made.

Time is bounded well below gunicorn's 30 s worker timeout: each attempt waits at most
`STRIPE_TIMEOUT` seconds, a failed attempt is retried `STRIPE_MAX_RETRIES` times, and all
Stripe calls made while serving one request share `STRIPE_REQUEST_BUDGET` seconds: an
attempt's timeout is cut to what is left, and no call starts once it is spent. A slow
Stripe therefore becomes a `PaymentUnavailable` the shop answers clearly, never a killed
worker.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import stripe
from flask import Flask, current_app, g, has_request_context

log = logging.getLogger(__name__)

SANDBOX_KEY = "sk_test_sandbox"
SANDBOX_API_BASE = "http://127.0.0.1:12111"
MIN_ATTEMPT = 0.2  # seconds: less budget than this left and no new call is started

# When the Stripe calls now being made must have finished (time.monotonic()).
_deadline: ContextVar[float | None] = ContextVar("stripe_deadline", default=None)


def random_webhook_secret() -> str:
    """A fresh signing secret for the sandbox (never a value anyone could know)."""
    return "whsec_" + secrets.token_urlsafe(24)


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
class CheckoutDiscount:
    """The order's coupon: `amount` paise off the items (never off shipping)."""

    name: str
    amount: int


@dataclass(frozen=True)
class ShippingRate:
    name: str
    amount: int  # paise; 0 is free shipping


@dataclass(frozen=True)
class CreatedSession:
    id: str
    url: str


class _BudgetedRequestsClient(stripe.RequestsClient):
    """Each attempt's timeout is the per-attempt timeout cut to what is left of the budget."""

    def __init__(self, *, timeout: float) -> None:
        self.per_attempt = timeout
        super().__init__(timeout=timeout)

    @property
    def _timeout(self) -> float:
        deadline = _deadline.get()
        if deadline is None:
            return self.per_attempt
        return max(0.05, min(self.per_attempt, deadline - time.monotonic()))

    @_timeout.setter
    def _timeout(self, value: float) -> None:
        self.per_attempt = value


class StripeGateway:
    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        api_base: str | None,
        currency: str,
        timeout: float = 5.0,
        max_retries: int = 1,
        budget: float = 15.0,
    ) -> None:
        addresses = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(
            api_key,
            base_addresses=addresses,
            http_client=_BudgetedRequestsClient(timeout=timeout),
            max_network_retries=max_retries,
        )
        self.webhook_secret = webhook_secret
        self.currency = currency.lower()
        self.budget = budget

    def _current_deadline(self) -> float:
        """One budget per request being served; outside a request, one per call."""
        if not has_request_context():
            return time.monotonic() + self.budget
        if "stripe_deadline" not in g:
            g.stripe_deadline = time.monotonic() + self.budget
        return g.stripe_deadline

    def _call(self, what: str, fn, *args, **kwargs):
        deadline = self._current_deadline()
        if deadline - time.monotonic() < MIN_ATTEMPT:
            log.warning("stripe %s: not tried, this request's time for Stripe is spent", what)
            raise PaymentUnavailable("The payment service did not answer in time.")
        token = _deadline.set(deadline)
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
        finally:
            _deadline.reset(token)

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
        discount: CheckoutDiscount | None = None,
        shipping_rate: ShippingRate | None = None,
        manual_capture: bool = False,
    ) -> CreatedSession:
        """`lines` are the items at their price; `discount` becomes a one-use Stripe
        Coupon applied to the session and `shipping_rate` its one shipping option, so
        Stripe's page reads like the shop's receipt (items, coupon, shipping, total)
        and Stripe's `amount_total` is the order total.

        `shipping` is the order's delivery address in Stripe's shape (name, phone,
        address); it becomes the PaymentIntent's `shipping`, shown on Stripe's receipts.

        With `manual_capture` (prescription orders) the card is only authorised; the
        money is taken by `capture_payment` after a pharmacist approves, or the hold is
        released by `cancel_payment`. The PaymentIntent carries the order number, so its
        own webhooks find the order."""
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
        if discount is not None and discount.amount > 0:
            coupon = self._coupon(order_number, discount)
            params["discounts"] = [{"coupon": coupon}]
        if shipping_rate is not None:
            params["shipping_options"] = [
                {
                    "shipping_rate_data": {
                        "type": "fixed_amount",
                        "display_name": shipping_rate.name,
                        "fixed_amount": {"amount": shipping_rate.amount, "currency": self.currency},
                    }
                }
            ]
        intent_data: dict[str, Any] = {}
        if shipping:
            intent_data["shipping"] = shipping
        if manual_capture:
            intent_data["capture_method"] = "manual"
            intent_data["metadata"] = {"order_number": order_number}
        if intent_data:
            params["payment_intent_data"] = intent_data
        session = self._call(
            "create session",
            self.client.v1.checkout.sessions.create,
            params=params,
            # The same order always asks with the same key, so a retry or a second request
            # for the same order gets the same session back instead of a second one.
            options={"idempotency_key": f"order-{order_number}-session"},
        )
        return CreatedSession(id=session.id, url=session.url)

    def _coupon(self, order_number: str, discount: CheckoutDiscount) -> str:
        """A Stripe Coupon for this order alone (one redemption); its id."""
        coupon = self._call(
            "create coupon",
            self.client.v1.coupons.create,
            params={
                "amount_off": discount.amount,
                "currency": self.currency,
                "duration": "once",
                "max_redemptions": 1,
                "name": discount.name[:40],
                "metadata": {"order_number": order_number},
            },
            options={"idempotency_key": f"order-{order_number}-coupon"},
        )
        return coupon.id

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

    def retrieve_payment_intent(self, intent_id: str) -> dict:
        intent = self._call(
            "retrieve payment intent", self.client.v1.payment_intents.retrieve, intent_id
        )
        return intent.to_dict()

    def capture_payment(self, intent_id: str, order_number: str) -> dict:
        """Take the authorised money (a retry with the same key captures once)."""
        intent = self._call(
            "capture payment",
            self.client.v1.payment_intents.capture,
            intent_id,
            options={"idempotency_key": f"order-{order_number}-capture-{intent_id}"},
        )
        return intent.to_dict()

    def cancel_payment(self, intent_id: str, order_number: str) -> dict:
        """Release an authorisation that will not be captured."""
        intent = self._call(
            "cancel payment",
            self.client.v1.payment_intents.cancel,
            intent_id,
            options={"idempotency_key": f"order-{order_number}-cancel-{intent_id}"},
        )
        return intent.to_dict()

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
        """Verify the signature (300 s tolerance) and return the event, a JSON object."""
        if not signature:
            raise WebhookInvalid("missing Stripe-Signature header")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, self.webhook_secret, tolerance=300
            )
            event = json.loads(payload)
        except stripe.SignatureVerificationError as error:
            raise WebhookInvalid(f"bad signature: {error}") from error
        except (UnicodeDecodeError, ValueError) as error:
            raise WebhookInvalid(f"malformed payload: {error}") from error
        if not isinstance(event, dict):
            raise WebhookInvalid("the payload is not a JSON object")
        return event


def init_payments(app: Flask) -> None:
    config = app.config
    sandbox = not config.get("STRIPE_SECRET_KEY")
    config["PAYMENTS_SANDBOX"] = sandbox
    if sandbox:
        config["STRIPE_API_BASE"] = config.get("STRIPE_API_BASE") or SANDBOX_API_BASE
        if not config.get("STRIPE_WEBHOOK_SECRET"):
            # Never a well-known secret: events signed with one could mark orders paid.
            # `make run` makes one secret and gives it to both the sandbox and the shop.
            config["STRIPE_WEBHOOK_SECRET"] = random_webhook_secret()
            log.warning(
                "payment sandbox without STRIPE_WEBHOOK_SECRET: webhooks will be refused "
                "until the shop and the sandbox share one"
            )
    app.extensions["payments"] = StripeGateway(
        api_key=config.get("STRIPE_SECRET_KEY") or SANDBOX_KEY,
        webhook_secret=config["STRIPE_WEBHOOK_SECRET"],
        api_base=config.get("STRIPE_API_BASE"),
        currency=config["SHOP_CURRENCY"],
        timeout=float(config.get("STRIPE_TIMEOUT", 5.0)),
        max_retries=int(config.get("STRIPE_MAX_RETRIES", 1)),
        budget=float(config.get("STRIPE_REQUEST_BUDGET", 15.0)),
    )


def gateway() -> StripeGateway:
    return current_app.extensions["payments"]
