"""Manual capture in the sandbox: authorise now, capture or cancel later (SPEC §15).

A Checkout Session created with `payment_intent_data[capture_method]=manual` completes,
when the shopper pays, with `payment_status` "unpaid" and its PaymentIntent in
`requires_capture` (its charge authorised, not captured), as Stripe does; the sandbox
sends `checkout.session.completed` and `payment_intent.amount_capturable_updated`.
Then:

- `POST /v1/payment_intents/<id>/capture` → `succeeded`, the charge captured, the
  session `paid`; `payment_intent.succeeded` is sent.
- `POST /v1/payment_intents/<id>/cancel` → `canceled`, the authorisation released;
  `payment_intent.canceled` is sent.
- An authorisation left uncaptured for seven days (on the sandbox clock) is cancelled
  by the sandbox itself (`cancellation_reason` "automatic"), as card networks do.

This is a mixin of `Sandbox`: every method runs under its lock.
"""

from __future__ import annotations

import copy
from typing import Any

from .params import SandboxError, not_found

AUTHORISATION_SECONDS = 7 * 24 * 60 * 60
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


class ManualCapture:
    """Capture and cancel of PaymentIntents; mixed into `Sandbox`."""

    def _authorise_intent(self, session: dict, intent: dict, email: str) -> None:
        """The card is authorised for the whole amount; nothing is captured yet."""
        self._succeed_intent(intent, email)  # creates the charge …
        charge = self.charges[intent["latest_charge"]]
        charge.update(captured=False, amount_captured=0)  # … but only holds the money
        intent.update(status="requires_capture", amount_received=0)
        intent["amount_capturable"] = intent["amount"]
        session["payment_status"] = "unpaid"
        self._emit("payment_intent.amount_capturable_updated", intent)

    def _intent(self, intent_id: str) -> dict[str, Any]:
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise not_found("payment_intent", intent_id)
        return intent

    def _requires_capture(self, intent: dict, action: str) -> None:
        if intent["status"] != "requires_capture":
            raise SandboxError(
                f"This PaymentIntent could not be {action} because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be " + action + ": requires_capture.",
                code="payment_intent_unexpected_state",
            )

    def capture_intent(self, intent_id: str, amount: int | None) -> dict[str, Any]:
        with self.lock:
            self.sweep()
            intent = self._intent(intent_id)
            self._requires_capture(intent, "captured")
            if amount is not None and amount > intent["amount_capturable"]:
                raise SandboxError(
                    "The amount to capture is greater than the amount capturable.",
                    param="amount_to_capture",
                    code="amount_too_large",
                )
            captured = intent["amount_capturable"] if amount is None else amount
            charge = self.charges[intent["latest_charge"]]
            charge.update(captured=True, amount_captured=captured)
            intent.update(status="succeeded", amount_received=captured, amount_capturable=0)
            for session in self.sessions.values():
                if session.get("payment_intent") == intent_id:
                    session["payment_status"] = "paid"
            self._emit("payment_intent.succeeded", intent)
            return copy.deepcopy(intent)

    def cancel_intent(self, intent_id: str, reason: str | None) -> dict[str, Any]:
        with self.lock:
            self.sweep()
            intent = self._intent(intent_id)
            if intent["status"] in ("succeeded", "canceled"):
                raise SandboxError(
                    "You cannot cancel this PaymentIntent because it has a status of "
                    f"{intent['status']}. Only a PaymentIntent with one of the following "
                    "statuses may be canceled: requires_payment_method, requires_capture, "
                    "requires_confirmation, requires_action, processing.",
                    code="payment_intent_unexpected_state",
                )
            self._cancel_intent(intent, reason)
            return copy.deepcopy(intent)

    def _cancel_intent(self, intent: dict, reason: str | None) -> None:
        charge = self.charges.get(intent["latest_charge"] or "")
        if charge is not None and not charge["captured"]:
            # Releasing an authorisation: nothing was taken, so nothing goes back.
            charge.update(refunded=True, amount_refunded=charge["amount"])
        intent.update(
            status="canceled",
            canceled_at=self.now(),
            cancellation_reason=reason,
            amount_capturable=0,
        )
        self._emit("payment_intent.canceled", intent)

    def _sweep_authorisations(self) -> None:
        """Cancel authorisations older than seven days (called by `sweep`, under the lock)."""
        now = self.now()
        for intent in self.payment_intents.values():
            if (
                intent["status"] == "requires_capture"
                and intent["created"] + AUTHORISATION_SECONDS <= now
            ):
                self._cancel_intent(intent, "automatic")
