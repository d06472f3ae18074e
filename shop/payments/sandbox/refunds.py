"""Refunds in the sandbox: full or partial, by PaymentIntent or charge, listed newest
first; each one sends `charge.refunded`, as Stripe does.

This is a mixin of `Sandbox`: every method runs under its lock.
"""

from __future__ import annotations

import copy
from typing import Any

from .params import SandboxError, not_found
from .values import format_amount, new_id, page

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


class Refunds:
    """Create, read and list refunds; mixed into `Sandbox`."""

    def refund(
        self,
        *,
        payment_intent: str | None,
        charge: str | None,
        amount: int | None,
        metadata: dict[str, str],
        reason: str | None,
    ) -> dict[str, Any]:
        with self.lock:
            if payment_intent is not None:
                intent = self.payment_intents.get(payment_intent)
                if intent is None:
                    raise not_found("payment_intent", payment_intent, param="payment_intent")
                if intent["latest_charge"] is None:
                    raise SandboxError(
                        f"This PaymentIntent ({payment_intent}) does not have a successful "
                        "charge to refund.",
                        param="payment_intent",
                        code="charge_not_refundable",
                    )
                charge_obj = self.charges[intent["latest_charge"]]
                if charge is not None and charge != charge_obj["id"]:
                    raise SandboxError(
                        "The charge does not belong to this PaymentIntent.", param="charge"
                    )
            else:
                charge_obj = self.charges.get(charge or "")
                if charge_obj is None:
                    raise not_found("charge", charge or "", param="charge")
            remaining = charge_obj["amount"] - charge_obj["amount_refunded"]
            if remaining == 0:
                raise SandboxError(
                    f"Charge {charge_obj['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            if amount is None:
                amount = remaining
            if amount > remaining:
                raise SandboxError(
                    f"Refund amount ({format_amount(amount, charge_obj['currency'])}) is greater "
                    "than unrefunded amount on charge "
                    f"({format_amount(remaining, charge_obj['currency'])})",
                    param="amount",
                    code="amount_too_large",
                )
            refund = {
                "id": new_id("re_"),
                "object": "refund",
                "amount": amount,
                "charge": charge_obj["id"],
                "created": self.now(),
                "currency": charge_obj["currency"],
                "metadata": dict(metadata),
                "payment_intent": charge_obj["payment_intent"],
                "reason": reason,
                "status": "succeeded",
            }
            self.refunds[refund["id"]] = refund
            previous = {
                "amount_refunded": charge_obj["amount_refunded"],
                "refunded": charge_obj["refunded"],
            }
            charge_obj["amount_refunded"] += amount
            charge_obj["refunded"] = charge_obj["amount_refunded"] == charge_obj["amount"]
            self._emit("charge.refunded", charge_obj, previous)
            return copy.deepcopy(refund)

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        with self.lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise not_found("refund", refund_id)
            return copy.deepcopy(refund)

    def list_refunds(
        self,
        *,
        payment_intent: str | None,
        charge: str | None,
        limit: int,
        starting_after: str | None,
    ) -> dict[str, Any]:
        with self.lock:
            newest_first = [
                refund
                for refund in reversed(self.refunds.values())
                if (payment_intent is None or refund["payment_intent"] == payment_intent)
                and (charge is None or refund["charge"] == charge)
            ]
            return page(newest_first, limit=limit, starting_after=starting_after, url="/v1/refunds")
