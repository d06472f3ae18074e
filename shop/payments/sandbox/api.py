"""The Stripe API subset under `/v1`, answering the real stripe library.

Every call goes through `_serve`, which does what Stripe's front door does: log the
request, check the secret key, apply injected faults, honour `Idempotency-Key`, turn a
`SandboxError` into Stripe's error shape, and answer JSON. The views only validate
their parameters and call the store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import stripe
from flask import Blueprint, Response, current_app, request

from .discounts import coupon_spec, extras_spec
from .intents import CANCELLATION_REASONS
from .params import (
    SandboxError,
    decode,
    missing,
    not_found,
    reject_unknown,
    want_choice,
    want_currency,
    want_dict,
    want_email,
    want_expand,
    want_int,
    want_list,
    want_metadata,
    want_str,
    want_url,
)
from .refunds import REFUND_REASONS
from .store import Sandbox
from .values import new_id

bp = Blueprint("stripe_sandbox_api", __name__, url_prefix="/v1")

MAX_AMOUNT = 99_999_999  # Stripe's ceiling for one charge, in minor units
MAX_LINE_ITEMS = 100
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
SESSION_CREATE_PARAMS = (
    "cancel_url",
    "client_reference_id",
    "currency",
    "customer_email",
    "discounts",
    "expand",
    "expires_at",
    "line_items",
    "metadata",
    "mode",
    "payment_intent_data",
    "payment_method_types",
    "shipping_options",
    "success_url",
)

View = Callable[..., dict[str, Any]]


def current_sandbox() -> Sandbox:
    return current_app.extensions["stripe_sandbox"]


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    text = json.dumps(body, indent=2) + "\n"
    return current_app.response_class(text, status=status, mimetype="application/json")


def api_route(rule: str, methods: list[str]) -> Callable[[View], View]:
    def register(view: View) -> View:
        def endpoint(**kwargs: str) -> Response:
            return _serve(view, kwargs)

        bp.add_url_rule(rule, f"{view.__name__}", endpoint, methods=methods)
        return view

    return register


def _mask(key: str) -> str:
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def _authenticate(sandbox: Sandbox) -> None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise SandboxError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
            status=401,
        )
    prefix = sandbox.api_key_prefix
    if not key.startswith(prefix) or len(key) == len(prefix):
        raise SandboxError(f"Invalid API Key provided: {_mask(key)}", status=401)


def _serve(view: View, kwargs: dict[str, str]) -> Response:
    sandbox = current_sandbox()
    request_id = new_id("req_", 14)
    key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    entry: dict[str, Any] = {
        "id": request_id,
        "method": request.method,
        "path": request.path,
        "idempotency_key": key,
        "params": None,
        "status": None,
        "replayed": False,
        "at": time.time(),
    }
    sandbox.log_request(entry)
    delay, fingerprint, replay, ran = 0.0, None, None, None
    try:
        source = request.form if request.method == "POST" else request.args
        pairs = source.items(multi=True)
        params = _decode_logged(sandbox, entry, pairs)
        _authenticate(sandbox)
        fail_status, delay = sandbox.take_fault()
        if fail_status is not None:
            message = f"Injected sandbox fault (HTTP {fail_status})."
            raise SandboxError(message, status=fail_status, type="api_error")
        if key:
            wanted = {"method": request.method, "path": request.path, "params": params}
            replay = sandbox.idempotency_begin(key, wanted)
            fingerprint = wanted if replay is None else None
        if replay is not None:
            status, body = replay["status"], replay["body"]
        else:
            body, status = view(sandbox, params, **kwargs), 200
            ran = {"status": status, "body": body, "request_id": request_id}
    except SandboxError as err:
        status, body = err.status, err.body()
    finally:
        if fingerprint is not None:
            sandbox.idempotency_end(key, fingerprint, ran)
    with sandbox.lock:
        entry.update(status=status, replayed=replay is not None)
    response = json_response(body, status)
    response.headers["Request-Id"] = request_id
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version", stripe.api_version)
    if key:
        response.headers["Idempotency-Key"] = key
    if replay is not None:
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["Original-Request"] = replay["request_id"]
    if delay:
        # The work is done (and remembered for idempotent replays); only the answer is
        # late, as when a real request outlives the client's timeout.
        time.sleep(delay)
    return response


def _decode_logged(sandbox: Sandbox, entry: dict[str, Any], pairs) -> dict[str, Any]:
    params = decode(pairs)
    with sandbox.lock:
        entry["params"] = params
    return params


def _paging(params: dict[str, Any]) -> tuple[int, str | None]:
    limit = want_int(params, "limit", "limit", minimum=1, maximum=100)
    starting_after = want_str(params, "starting_after", "starting_after")
    return (10 if limit is None else limit), starting_after


# -- checkout sessions ----------------------------------------------------------------


def session_spec(params: dict[str, Any], now: int) -> dict[str, Any]:
    """Validate the parameters of `POST /v1/checkout/sessions` into a plain spec."""
    reject_unknown(params, SESSION_CREATE_PARAMS)
    mode = want_choice(params, "mode", "mode", ("payment", "setup", "subscription"), required=True)
    if mode != "payment":
        raise SandboxError(
            "The sandbox supports only mode=payment.", param="mode", code="parameter_invalid"
        )
    currency = want_currency(params, "currency", "currency")
    raw_items = want_list(params, "line_items", "line_items")
    if not raw_items:
        raise SandboxError(
            "line_items is required in payment mode.", param="line_items", code="parameter_missing"
        )
    if len(raw_items) > MAX_LINE_ITEMS:
        raise SandboxError(
            f"A Checkout Session can have at most {MAX_LINE_ITEMS} line items.",
            param="line_items",
            code="parameter_invalid",
        )
    items = []
    for index, raw in enumerate(raw_items):
        where = f"line_items[{index}]"
        if not isinstance(raw, dict):
            raise SandboxError(f"Invalid hash for {where}.", param=where, code="parameter_invalid")
        reject_unknown(raw, ("price_data", "quantity", "price"), where)
        if "price" in raw:
            raise SandboxError(
                "The sandbox has no Price objects; describe the item with price_data.",
                param=f"{where}[price]",
                code="parameter_invalid",
            )
        price = want_dict(raw, "price_data", f"{where}[price_data]", required=True)
        reject_unknown(price, ("currency", "unit_amount", "product_data"), f"{where}[price_data]")
        item_currency = want_currency(
            price, "currency", f"{where}[price_data][currency]", required=True
        )
        unit_amount = want_int(
            price,
            "unit_amount",
            f"{where}[price_data][unit_amount]",
            required=True,
            minimum=0,
            maximum=MAX_AMOUNT,
        )
        product = want_dict(
            price, "product_data", f"{where}[price_data][product_data]", required=True
        )
        product_param = f"{where}[price_data][product_data]"
        reject_unknown(product, ("name", "description", "metadata"), product_param)
        name = want_str(product, "name", f"{product_param}[name]", required=True, max_length=250)
        want_str(product, "description", f"{product_param}[description]")
        want_metadata(product, "metadata", f"{product_param}[metadata]")
        quantity = want_int(
            raw, "quantity", f"{where}[quantity]", required=True, minimum=1, maximum=MAX_AMOUNT
        )
        currency = currency or item_currency
        if item_currency != currency:
            raise SandboxError(
                f"All line items must use the session's currency ({currency}); "
                f"this one uses {item_currency}.",
                param=f"{where}[price_data][currency]",
                code="parameter_invalid",
            )
        items.append({"name": name, "unit_amount": unit_amount, "quantity": quantity})
    if sum(item["unit_amount"] * item["quantity"] for item in items) > MAX_AMOUNT:
        raise SandboxError(
            f"The total amount due must be at most {MAX_AMOUNT} (in minor units).",
            param="line_items",
            code="amount_too_large",
        )

    expires_at = want_int(params, "expires_at", "expires_at")
    if expires_at is None:
        expires_at = now + MAX_EXPIRY
    elif expires_at < now + MIN_EXPIRY:
        raise SandboxError(
            "The `expires_at` timestamp must be at least 30 minutes after the Checkout "
            f"Session is created (now: {now}).",
            param="expires_at",
            code="parameter_invalid",
        )
    elif expires_at > now + MAX_EXPIRY:
        raise SandboxError(
            "The `expires_at` timestamp must be less than 24 hours after the Checkout "
            f"Session is created (now: {now}).",
            param="expires_at",
            code="parameter_invalid",
        )

    intent = want_dict(params, "payment_intent_data", "payment_intent_data")
    reject_unknown(
        intent, ("metadata", "description", "shipping", "capture_method"), "payment_intent_data"
    )
    method_types = want_list(params, "payment_method_types", "payment_method_types")
    for index, method_type in enumerate(method_types):
        if not isinstance(method_type, str) or not method_type:
            raise SandboxError(
                "Invalid payment method type.",
                param=f"payment_method_types[{index}]",
                code="parameter_invalid",
            )
    return {
        "created": now,
        "currency": currency,
        "items": items,
        "success_url": want_url(params, "success_url", "success_url", required=True),
        "cancel_url": want_url(params, "cancel_url", "cancel_url"),
        "client_reference_id": want_str(
            params, "client_reference_id", "client_reference_id", max_length=200
        ),
        "customer_email": want_email(params, "customer_email", "customer_email"),
        "metadata": want_metadata(params, "metadata", "metadata"),
        "expires_at": expires_at,
        "payment_intent_data": {
            "metadata": want_metadata(intent, "metadata", "payment_intent_data[metadata]"),
            "description": want_str(intent, "description", "payment_intent_data[description]"),
            "shipping": want_shipping(intent, "shipping", "payment_intent_data[shipping]"),
            "capture_method": want_choice(
                intent,
                "capture_method",
                "payment_intent_data[capture_method]",
                ("automatic", "automatic_async", "manual"),
            ),
        },
        "payment_method_types": method_types,
        "extras": extras_spec(params),
    }


SHIPPING_PARAMS = ("name", "phone", "address", "carrier", "tracking_number")
ADDRESS_PARAMS = ("line1", "line2", "city", "state", "postal_code", "country")


def want_shipping(params: dict[str, Any], key: str, param: str) -> dict[str, Any] | None:
    """Stripe's shipping hash: `name` and `address[line1]` required, the rest optional."""
    raw = want_dict(params, key, param)
    if not raw:
        return None
    reject_unknown(raw, SHIPPING_PARAMS, param)
    address = want_dict(raw, "address", f"{param}[address]", required=True)
    reject_unknown(address, ADDRESS_PARAMS, f"{param}[address]")
    where = f"{param}[address]"
    country = want_str(address, "country", f"{where}[country]", max_length=2)
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise SandboxError(
            f"Invalid country: {country}", param=f"{where}[country]", code="parameter_invalid"
        )
    return {
        "name": want_str(raw, "name", f"{param}[name]", required=True),
        "phone": want_str(raw, "phone", f"{param}[phone]"),
        "carrier": want_str(raw, "carrier", f"{param}[carrier]"),
        "tracking_number": want_str(raw, "tracking_number", f"{param}[tracking_number]"),
        "address": {
            "line1": want_str(address, "line1", f"{where}[line1]", required=True),
            "line2": want_str(address, "line2", f"{where}[line2]"),
            "city": want_str(address, "city", f"{where}[city]"),
            "state": want_str(address, "state", f"{where}[state]"),
            "postal_code": want_str(address, "postal_code", f"{where}[postal_code]"),
            "country": country.upper() if country else None,
        },
    }


SESSION_EXPANSIONS = ("line_items", "payment_intent")


@api_route("/checkout/sessions", methods=["POST"])
def create_session(sandbox: Sandbox, params: dict[str, Any]) -> dict[str, Any]:
    spec = session_spec(params, sandbox.now())
    expand = want_expand(params, SESSION_EXPANSIONS)
    session = sandbox.create_session(spec)
    return sandbox.get_session(session["id"], expand) if expand else session


@api_route("/checkout/sessions/<session_id>", methods=["GET"])
def retrieve_session(sandbox: Sandbox, params: dict[str, Any], session_id: str) -> dict:
    reject_unknown(params, ("expand",))
    return sandbox.get_session(session_id, want_expand(params, SESSION_EXPANSIONS))


@api_route("/checkout/sessions/<session_id>/line_items", methods=["GET"])
def list_line_items(sandbox: Sandbox, params: dict[str, Any], session_id: str) -> dict:
    reject_unknown(params, ("limit", "starting_after"))
    limit, starting_after = _paging(params)
    return sandbox.list_line_items(session_id, limit, starting_after)


@api_route("/checkout/sessions/<session_id>/expire", methods=["POST"])
def expire_session(sandbox: Sandbox, params: dict[str, Any], session_id: str) -> dict:
    reject_unknown(params, ("expand",))
    expand = want_expand(params, SESSION_EXPANSIONS)
    sandbox.expire(session_id)
    return sandbox.get_session(session_id, expand)


# -- coupons -------------------------------------------------------------------------


@api_route("/coupons", methods=["POST"])
def create_coupon(sandbox: Sandbox, params: dict[str, Any]) -> dict[str, Any]:
    return sandbox.create_coupon(coupon_spec(params))


@api_route("/coupons/<coupon_id>", methods=["GET"])
def retrieve_coupon(sandbox: Sandbox, params: dict[str, Any], coupon_id: str) -> dict:
    reject_unknown(params, ())
    return sandbox.get_coupon(coupon_id)


# -- payment intents, charges, refunds, events ----------------------------------------


@api_route("/payment_intents/<intent_id>", methods=["GET"])
def retrieve_payment_intent(sandbox: Sandbox, params: dict[str, Any], intent_id: str) -> dict:
    reject_unknown(params, ("expand",))
    return sandbox.get_payment_intent(intent_id, want_expand(params, ("latest_charge",)))


@api_route("/payment_intents/<intent_id>/capture", methods=["POST"])
def capture_payment_intent(sandbox: Sandbox, params: dict[str, Any], intent_id: str) -> dict:
    reject_unknown(params, ("amount_to_capture", "expand", "metadata"))
    want_expand(params, ())
    amount = want_int(params, "amount_to_capture", "amount_to_capture", minimum=1)
    return sandbox.capture_intent(intent_id, amount)


@api_route("/payment_intents/<intent_id>/cancel", methods=["POST"])
def cancel_payment_intent(sandbox: Sandbox, params: dict[str, Any], intent_id: str) -> dict:
    reject_unknown(params, ("cancellation_reason", "expand"))
    want_expand(params, ())
    reason = want_choice(params, "cancellation_reason", "cancellation_reason", CANCELLATION_REASONS)
    return sandbox.cancel_intent(intent_id, reason)


@api_route("/charges/<charge_id>", methods=["GET"])
def retrieve_charge(sandbox: Sandbox, params: dict[str, Any], charge_id: str) -> dict:
    reject_unknown(params, ())
    return sandbox.get_charge(charge_id)


@api_route("/refunds", methods=["POST"])
def create_refund(sandbox: Sandbox, params: dict[str, Any]) -> dict[str, Any]:
    reject_unknown(params, ("payment_intent", "charge", "amount", "metadata", "reason"))
    payment_intent = want_str(params, "payment_intent", "payment_intent")
    charge = want_str(params, "charge", "charge")
    if payment_intent is None and charge is None:
        raise missing("payment_intent")
    return sandbox.refund(
        payment_intent=payment_intent,
        charge=charge,
        amount=want_int(params, "amount", "amount", minimum=1, maximum=MAX_AMOUNT),
        metadata=want_metadata(params, "metadata", "metadata"),
        reason=want_choice(params, "reason", "reason", REFUND_REASONS),
    )


@api_route("/refunds/<refund_id>", methods=["GET"])
def retrieve_refund(sandbox: Sandbox, params: dict[str, Any], refund_id: str) -> dict:
    reject_unknown(params, ())
    return sandbox.get_refund(refund_id)


@api_route("/refunds", methods=["GET"])
def list_refunds(sandbox: Sandbox, params: dict[str, Any]) -> dict[str, Any]:
    reject_unknown(params, ("payment_intent", "charge", "limit", "starting_after"))
    limit, starting_after = _paging(params)
    return sandbox.list_refunds(
        payment_intent=want_str(params, "payment_intent", "payment_intent"),
        charge=want_str(params, "charge", "charge"),
        limit=limit,
        starting_after=starting_after,
    )


@api_route("/events/<event_id>", methods=["GET"])
def retrieve_event(sandbox: Sandbox, params: dict[str, Any], event_id: str) -> dict:
    reject_unknown(params, ())
    event = sandbox.dispatcher.get(event_id)
    if event is None:
        raise not_found("event", event_id)
    return event


def unrecognized_url() -> Response:
    message = (
        f"Unrecognized request URL ({request.method}: {request.path}). "
        "The Stripe sandbox implements only a small part of the API."
    )
    return json_response(SandboxError(message, status=404).body(), 404)
