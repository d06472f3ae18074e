"""Coupons and shipping rates on Checkout Sessions, as Stripe carries them.

A shop that wants Stripe's page to read like its own receipt sends each line item at
its price, the order's discount as a Coupon (`POST /v1/coupons` with `amount_off`,
then `discounts[0][coupon]` on the session) and its delivery fee as a shipping option
(`shipping_options[0][shipping_rate_data]`). Stripe then works out, and the sandbox
does the same:

- `amount_subtotal`: the line items before the discount;
- `total_details.amount_discount`: the coupon's amount, never more than the subtotal,
  spread over the line items (each item's `amount_discount`) in proportion to their
  amounts, the paisa left over going to the largest remainders;
- `shipping_cost` and `total_details.amount_shipping`: the shipping rate (coupons never
  reduce shipping);
- `amount_total` = subtotal − discount + shipping: what the shopper is charged.

Only `amount_off` coupons and `fixed_amount` shipping rates are supported.
This is a mixin of `Sandbox`: every method runs under its lock.
"""

from __future__ import annotations

import copy
from typing import Any

from .params import (
    SandboxError,
    not_found,
    reject_unknown,
    want_choice,
    want_currency,
    want_dict,
    want_int,
    want_list,
    want_metadata,
    want_str,
)
from .values import new_id

MAX_AMOUNT = 99_999_999
COUPON_PARAMS = (
    "amount_off",
    "currency",
    "duration",
    "max_redemptions",
    "metadata",
    "name",
    "percent_off",
    "redeem_by",
)


def coupon_spec(params: dict[str, Any]) -> dict[str, Any]:
    """Validate the parameters of `POST /v1/coupons` (amount_off coupons only)."""
    reject_unknown(params, COUPON_PARAMS)
    if "percent_off" in params:
        raise SandboxError(
            "The sandbox supports only amount_off coupons.",
            param="percent_off",
            code="parameter_invalid",
        )
    amount_off = want_int(
        params, "amount_off", "amount_off", required=True, minimum=1, maximum=MAX_AMOUNT
    )
    currency = want_currency(params, "currency", "currency", required=True)
    return {
        "amount_off": amount_off,
        "currency": currency,
        "duration": want_choice(params, "duration", "duration", ("once", "forever", "repeating"))
        or "once",
        "max_redemptions": want_int(params, "max_redemptions", "max_redemptions", minimum=1),
        "metadata": want_metadata(params, "metadata", "metadata"),
        "name": want_str(params, "name", "name", max_length=40),
        "redeem_by": want_int(params, "redeem_by", "redeem_by", minimum=1),
    }


def extras_spec(params: dict[str, Any]) -> dict[str, Any]:
    """Validate a session's `discounts` and `shipping_options` (at most one of each)."""
    discounts = want_list(params, "discounts", "discounts")
    if len(discounts) > 1:
        raise SandboxError(
            "You may only specify one discount.", param="discounts", code="parameter_invalid"
        )
    coupon = None
    if discounts:
        entry = discounts[0] if isinstance(discounts[0], dict) else {}
        reject_unknown(entry, ("coupon",), "discounts[0]")
        coupon = want_str(entry, "coupon", "discounts[0][coupon]", required=True)
    options = want_list(params, "shipping_options", "shipping_options")
    if len(options) > 1:
        raise SandboxError(
            "The sandbox supports one shipping option.",
            param="shipping_options",
            code="parameter_invalid",
        )
    rate = None
    if options:
        option = options[0] if isinstance(options[0], dict) else {}
        reject_unknown(option, ("shipping_rate_data",), "shipping_options[0]")
        rate = _rate_spec(option)
    return {"coupon": coupon, "shipping_rate": rate}


def _rate_spec(option: dict[str, Any]) -> dict[str, Any]:
    where = "shipping_options[0][shipping_rate_data]"
    data = want_dict(option, "shipping_rate_data", where, required=True)
    reject_unknown(data, ("type", "display_name", "fixed_amount", "metadata"), where)
    want_choice(data, "type", f"{where}[type]", ("fixed_amount",))
    fixed = want_dict(data, "fixed_amount", f"{where}[fixed_amount]", required=True)
    reject_unknown(fixed, ("amount", "currency"), f"{where}[fixed_amount]")
    return {
        "display_name": want_str(
            data, "display_name", f"{where}[display_name]", required=True, max_length=100
        ),
        "amount": want_int(
            fixed,
            "amount",
            f"{where}[fixed_amount][amount]",
            required=True,
            minimum=0,
            maximum=MAX_AMOUNT,
        ),
        "currency": want_currency(
            fixed, "currency", f"{where}[fixed_amount][currency]", required=True
        ),
        "metadata": want_metadata(data, "metadata", f"{where}[metadata]"),
    }


def allocate(amounts: list[int], discount: int) -> list[int]:
    """Spread `discount` over `amounts` in proportion (largest remainder, ties to the
    earlier item); the shares add up to `discount` and none exceeds its amount."""
    whole = sum(amounts)
    discount = min(discount, whole)
    if not whole:
        return [0] * len(amounts)
    shares = [amount * discount // whole for amount in amounts]
    order = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] * discount % whole), i))
    for index in order[: discount - sum(shares)]:
        shares[index] += 1
    return shares


class Discounts:
    """Coupons and shipping rates; mixed into `Sandbox`."""

    def create_coupon(self, spec: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            coupon = {
                "id": new_id("", 8),
                "object": "coupon",
                "created": self.now(),
                "livemode": False,
                "percent_off": None,
                "times_redeemed": 0,
                "valid": True,
                **copy.deepcopy(spec),
            }
            self.coupons[coupon["id"]] = coupon
            return copy.deepcopy(coupon)

    def get_coupon(self, coupon_id: str) -> dict[str, Any]:
        with self.lock:
            coupon = self.coupons.get(coupon_id)
            if coupon is None:
                raise not_found("coupon", coupon_id)
            return copy.deepcopy(coupon)

    def _usable_coupon(self, coupon_id: str, currency: str) -> dict[str, Any]:
        coupon = self.coupons.get(coupon_id)
        if coupon is None:
            raise not_found("coupon", coupon_id, param="discounts[0][coupon]")
        limit = coupon["max_redemptions"]
        spent = limit is not None and coupon["times_redeemed"] >= limit
        expired = coupon["redeem_by"] is not None and coupon["redeem_by"] <= self.now()
        if spent or expired:
            raise SandboxError(
                f"Coupon {coupon_id} is no longer valid.",
                param="discounts[0][coupon]",
                code="coupon_expired",
            )
        if coupon["currency"] != currency:
            raise SandboxError(
                f"Coupon {coupon_id} is in {coupon['currency']}, the session in {currency}.",
                param="discounts[0][coupon]",
                code="parameter_invalid",
            )
        return coupon

    def _price_session(
        self, session: dict[str, Any], items: list[dict[str, Any]], extras: dict[str, Any]
    ) -> None:
        """Fill in the session's discount, shipping and totals (and each item's share)."""
        currency = session["currency"]
        subtotal = sum(item["amount_subtotal"] for item in items)
        discount, discounts = 0, []
        if extras.get("coupon"):
            coupon = self._usable_coupon(extras["coupon"], currency)
            discount = min(coupon["amount_off"], subtotal)
            discounts = [{"coupon": coupon["id"], "promotion_code": None}]
            shares = allocate([item["amount_subtotal"] for item in items], discount)
            for item, share in zip(items, shares, strict=True):
                item["amount_discount"] = share
                item["amount_total"] = item["amount_subtotal"] - share
        rate, shipping = extras.get("shipping_rate"), 0
        session["shipping_cost"] = None
        session["shipping_options"] = []
        if rate is not None:
            if rate["currency"] != currency:
                raise SandboxError(
                    f"The shipping rate is in {rate['currency']}, the session in {currency}.",
                    param="shipping_options[0][shipping_rate_data][fixed_amount][currency]",
                    code="parameter_invalid",
                )
            rate_id = new_id("shr_")
            self.shipping_rates[rate_id] = {"id": rate_id, "object": "shipping_rate", **rate}
            shipping = rate["amount"]
            session["shipping_cost"] = {
                "amount_subtotal": shipping,
                "amount_tax": 0,
                "amount_total": shipping,
                "shipping_rate": rate_id,
            }
            session["shipping_options"] = [{"shipping_amount": shipping, "shipping_rate": rate_id}]
        session.update(
            amount_subtotal=subtotal,
            amount_total=subtotal - discount + shipping,
            discounts=discounts,
            total_details={
                "amount_discount": discount,
                "amount_shipping": shipping,
                "amount_tax": 0,
            },
        )

    def _redeem(self, session: dict[str, Any]) -> None:
        """A completed session counts one use of its coupon."""
        for entry in session.get("discounts") or []:
            coupon = self.coupons.get(entry["coupon"])
            if coupon is not None:
                coupon["times_redeemed"] += 1

    def breakdown(self, session_id: str) -> dict[str, Any]:
        """What the hosted page shows under the items: coupon names and shipping rate."""
        with self.lock:
            session = self._session(session_id)
            names = [
                self.coupons[entry["coupon"]]["name"] or entry["coupon"]
                for entry in session.get("discounts") or []
                if entry["coupon"] in self.coupons
            ]
            cost = session.get("shipping_cost")
            rate = self.shipping_rates.get(cost["shipping_rate"]) if cost else None
            return {
                "coupon_names": names,
                "shipping_name": rate["display_name"] if rate else None,
            }
