"""The sandbox's state and every operation on it.

Objects are kept as the JSON dictionaries the API returns; each operation runs under
one lock and hands out deep copies, so callers can never change stored state by
accident. The HTTP layers (API, hosted page, test control) validate their input and
then call these methods; the events an operation causes are published from here.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import stripe

from .discounts import Discounts
from .intents import ManualCapture
from .params import SandboxError, not_found
from .refunds import Refunds
from .values import new_id, page
from .webhooks import Dispatcher

DEFAULT_EMAIL = "test.buyer@example.com"


@dataclass
class Faults:
    fail_next: int = 0
    fail_status: int = 500
    delay_next: int = 0
    delay_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "fail_next": self.fail_next,
            "status": self.fail_status,
            "delay_next": self.delay_next,
            "seconds": self.delay_seconds,
        }


class Sandbox(ManualCapture, Discounts, Refunds):
    def __init__(self, *, public_url: str, api_key_prefix: str, dispatcher: Dispatcher) -> None:
        self.public_url = public_url.rstrip("/")
        self.api_key_prefix = api_key_prefix
        self.dispatcher = dispatcher
        self.lock = threading.RLock()
        self._reset_state()

    def _reset_state(self) -> None:
        self.clock_offset = 0
        self.sessions: dict[str, dict[str, Any]] = {}
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.intent_data: dict[str, dict[str, Any]] = {}  # session id -> payment_intent_data
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.coupons: dict[str, dict[str, Any]] = {}
        self.shipping_rates: dict[str, dict[str, Any]] = {}
        self.requests: deque[dict[str, Any]] = deque(maxlen=2000)
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.idempotency_in_flight: set[str] = set()
        self.faults = Faults()

    def reset(self) -> None:
        with self.lock:
            self._reset_state()
        self.dispatcher.reset()

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def advance_clock(self, seconds: int) -> int:
        with self.lock:
            self.clock_offset += seconds
        self.sweep()
        return self.now()

    # -- events --------------------------------------------------------------------

    def _emit(self, event_type: str, obj: dict, previous: dict | None = None) -> None:
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        self.dispatcher.publish(
            {
                "id": new_id("evt_"),
                "object": "event",
                "api_version": stripe.api_version,
                "created": self.now(),
                "data": data,
                "livemode": False,
                "pending_webhooks": 1 if self.dispatcher.url else 0,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )

    # -- checkout sessions ---------------------------------------------------------

    def create_session(self, spec: dict[str, Any]) -> dict[str, Any]:
        """`spec` is validated by the API layer: currency, items, urls, metadata…"""
        with self.lock:
            session_id = new_id("cs_test_", 58)
            currency = spec["currency"]
            items = []
            for item in spec["items"]:
                amount = item["unit_amount"] * item["quantity"]
                items.append(
                    {
                        "id": new_id("li_"),
                        "object": "item",
                        "amount_discount": 0,
                        "amount_subtotal": amount,
                        "amount_tax": 0,
                        "amount_total": amount,
                        "currency": currency,
                        "description": item["name"],
                        "quantity": item["quantity"],
                        "price": {
                            "id": new_id("price_"),
                            "object": "price",
                            "active": False,
                            "currency": currency,
                            "livemode": False,
                            "product": new_id("prod_", 14),
                            "type": "one_time",
                            "unit_amount": item["unit_amount"],
                        },
                    }
                )
            session = {
                "id": session_id,
                "object": "checkout.session",
                "cancel_url": spec.get("cancel_url"),
                "client_reference_id": spec.get("client_reference_id"),
                "created": spec["created"],
                "currency": currency,
                "customer_details": None,
                "customer_email": spec.get("customer_email"),
                "expires_at": spec["expires_at"],
                "livemode": False,
                "metadata": dict(spec.get("metadata") or {}),
                "mode": "payment",
                "payment_intent": None,
                "payment_method_types": list(spec.get("payment_method_types") or ["card"]),
                "payment_status": "unpaid",
                "status": "open",
                "success_url": spec["success_url"],
                "url": f"{self.public_url}/pay/{session_id}",
            }
            self._price_session(session, items, spec.get("extras") or {})
            self.sessions[session_id] = session
            self.line_items[session_id] = items
            self.intent_data[session_id] = dict(spec.get("payment_intent_data") or {})
            return copy.deepcopy(session)

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise not_found("checkout.session", session_id)
        return session

    def _open_session(self, session_id: str, action: str) -> dict[str, Any]:
        self.sweep()
        session = self._session(session_id)
        if session["status"] != "open":
            raise SandboxError(
                f'Only Checkout Sessions with a status of "open" can be {action}. '
                f'This Checkout Session has a status of "{session["status"]}".',
                code="checkout_session_not_open",
            )
        return session

    def get_session(self, session_id: str, expand: Sequence[str] = ()) -> dict[str, Any]:
        with self.lock:
            self.sweep()
            view = copy.deepcopy(self._session(session_id))
            if "line_items" in expand:
                view["line_items"] = page(
                    self.line_items[session_id],
                    limit=100,
                    starting_after=None,
                    url=f"/v1/checkout/sessions/{session_id}/line_items",
                )
            if "payment_intent" in expand and view["payment_intent"]:
                view["payment_intent"] = copy.deepcopy(self.payment_intents[view["payment_intent"]])
            return view

    def list_line_items(self, session_id: str, limit: int, starting_after: str | None) -> dict:
        with self.lock:
            self._session(session_id)
            return page(
                self.line_items[session_id],
                limit=limit,
                starting_after=starting_after,
                url=f"/v1/checkout/sessions/{session_id}/line_items",
            )

    def _complete(self, session: dict, email: str | None) -> None:
        session["status"] = "complete"
        self._redeem(session)
        session["url"] = None
        session["customer_details"] = {
            "email": email or session["customer_email"] or DEFAULT_EMAIL,
            "name": None,
        }

    def _new_intent(self, session: dict, status: str) -> dict[str, Any]:
        extra = self.intent_data.get(session["id"], {})
        intent = {
            "id": new_id("pi_"),
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_capturable": 0,
            "amount_received": 0,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": extra.get("capture_method") or "automatic",
            "created": self.now(),
            "currency": session["currency"],
            "description": extra.get("description"),
            "latest_charge": None,
            "livemode": False,
            "metadata": dict(extra.get("metadata") or {}),
            "payment_method_types": list(session["payment_method_types"]),
            "shipping": copy.deepcopy(extra.get("shipping")),
            "status": status,
        }
        self.payment_intents[intent["id"]] = intent
        session["payment_intent"] = intent["id"]
        return intent

    def _succeed_intent(self, intent: dict, email: str) -> None:
        charge = {
            "id": new_id("ch_"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "captured": True,
            "created": self.now(),
            "currency": intent["currency"],
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "paid": True,
            "payment_intent": intent["id"],
            "receipt_email": email,
            "refunded": False,
            "status": "succeeded",
        }
        self.charges[charge["id"]] = charge
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        intent["latest_charge"] = charge["id"]

    def pay(self, session_id: str, email: str | None = None) -> dict[str, Any]:
        """The buyer pays by card and it succeeds."""
        with self.lock:
            session = self._open_session(session_id, "paid")
            self._complete(session, email)
            if session["amount_total"] == 0:
                session["payment_status"] = "no_payment_required"
            else:
                intent = self._new_intent(session, "processing")
                email = session["customer_details"]["email"]
                if intent["capture_method"] == "manual":
                    self._authorise_intent(session, intent, email)
                else:
                    self._succeed_intent(intent, email)
                    session["payment_status"] = "paid"
            self._emit("checkout.session.completed", session)
            return copy.deepcopy(session)

    def decline(self, session_id: str) -> dict[str, Any]:
        """The card is declined: Checkout shows an error and the session stays open."""
        with self.lock:
            return copy.deepcopy(self._open_session(session_id, "paid"))

    def cancel(self, session_id: str) -> dict[str, Any]:
        """The shopper goes back to the shop: nothing changes, the session stays open."""
        with self.lock:
            return copy.deepcopy(self._open_session(session_id, "cancelled"))

    def pay_delayed(self, session_id: str, email: str | None = None) -> dict[str, Any]:
        """A bank transfer: the session completes, the money arrives later (or not)."""
        with self.lock:
            session = self._open_session(session_id, "paid")
            if session["amount_total"] == 0:
                return self.pay(session_id, email)
            if self.intent_data.get(session_id, {}).get("capture_method") == "manual":
                raise SandboxError(
                    "Bank transfers cannot be authorised for a later capture; pay by card.",
                    code="payment_method_unactivated",
                )
            self._complete(session, email)
            self._new_intent(session, "processing")
            self._emit("checkout.session.completed", session)
            return copy.deepcopy(session)

    def _processing_intent(self, session_id: str) -> tuple[dict, dict]:
        session = self._session(session_id)
        intent = self.payment_intents.get(session["payment_intent"] or "")
        if session["status"] != "complete" or intent is None or intent["status"] != "processing":
            raise SandboxError(
                "Only a completed Checkout Session whose delayed payment is still processing "
                "can settle.",
                code="payment_intent_unexpected_state",
            )
        return session, intent

    def async_succeed(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session, intent = self._processing_intent(session_id)
            self._succeed_intent(intent, session["customer_details"]["email"])
            session["payment_status"] = "paid"
            self._emit("checkout.session.async_payment_succeeded", session)
            return copy.deepcopy(session)

    def async_fail(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session, intent = self._processing_intent(session_id)
            intent["status"] = "requires_payment_method"
            self._emit("checkout.session.async_payment_failed", session)
            return copy.deepcopy(session)

    def expire(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session = self._open_session(session_id, "expired")
            self._expire(session)
            return copy.deepcopy(session)

    def _expire(self, session: dict) -> None:
        session["status"] = "expired"
        session["url"] = None
        self._emit("checkout.session.expired", session)

    def sweep(self) -> None:
        """Expire open sessions whose `expires_at` has passed (on the sandbox clock)."""
        with self.lock:
            now = self.now()
            for session in self.sessions.values():
                if session["status"] == "open" and session["expires_at"] <= now:
                    self._expire(session)
            self._sweep_authorisations()

    def tamper(self, session_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Test control: overwrite fields of a stored session, to simulate a mismatch."""
        with self.lock:
            session = self._session(session_id)
            for key in changes:
                if key in ("id", "object") or key not in session:
                    raise SandboxError(f"Cannot tamper with field: {key}", param=key)
            session.update(copy.deepcopy(changes))
            return copy.deepcopy(session)

    # -- payment intents and charges (refunds: `Refunds`) ---------------------------------------

    def get_payment_intent(self, intent_id: str, expand: Sequence[str] = ()) -> dict[str, Any]:
        with self.lock:
            intent = self.payment_intents.get(intent_id)
            if intent is None:
                raise not_found("payment_intent", intent_id)
            view = copy.deepcopy(intent)
            if "latest_charge" in expand and view["latest_charge"]:
                view["latest_charge"] = copy.deepcopy(self.charges[view["latest_charge"]])
            return view

    def get_charge(self, charge_id: str) -> dict[str, Any]:
        with self.lock:
            charge = self.charges.get(charge_id)
            if charge is None:
                raise not_found("charge", charge_id)
            return copy.deepcopy(charge)

    # -- API bookkeeping: request log, idempotency, faults ---------------------------

    def log_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)

    def request_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.requests))

    def take_fault(self) -> tuple[int | None, float]:
        """Consume one injected failure and/or delay for the current API call."""
        with self.lock:
            status, delay = None, 0.0
            if self.faults.fail_next > 0:
                self.faults.fail_next -= 1
                status = self.faults.fail_status
            if self.faults.delay_next > 0:
                self.faults.delay_next -= 1
                delay = self.faults.delay_seconds
            return status, delay

    def set_faults(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "fail_next" in changes:
                self.faults.fail_next = changes["fail_next"]
                self.faults.fail_status = changes.get("status", 500)
            if "delay_next" in changes:
                self.faults.delay_next = changes["delay_next"]
                self.faults.delay_seconds = changes.get("seconds", 0.0)
            return self.faults.as_dict()

    def idempotency_begin(self, key: str, fingerprint: dict[str, Any]) -> dict[str, Any] | None:
        """Return the stored response for a replay, None when the request may run.
        Raises for a key reused differently or still in use by another request."""
        with self.lock:
            stored = self.idempotency.get(key)
            if stored is not None:
                before = stored["fingerprint"]
                same_endpoint = (before["method"], before["path"]) == (
                    fingerprint["method"],
                    fingerprint["path"],
                )
                if not same_endpoint:
                    raise SandboxError(
                        "Keys for idempotent requests can only be used for the same endpoint "
                        f"they were first used for ('{before['method']} {before['path']}' vs "
                        f"'{fingerprint['method']} {fingerprint['path']}'). Try using a key "
                        f"other than '{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                if before["params"] != fingerprint["params"]:
                    raise SandboxError(
                        "Keys for idempotent requests can only be used with the same parameters "
                        f"they were first used with. Try using a key other than '{key}' if you "
                        "meant to execute a different request.",
                        type="idempotency_error",
                    )
                return stored
            if key in self.idempotency_in_flight:
                raise SandboxError(
                    "There is currently another in-progress request using this Idempotent Key "
                    f"(that probably means you submitted twice, and the other request is still "
                    f"going through): {key}. Please try again later.",
                    status=409,
                    type="idempotency_error",
                )
            self.idempotency_in_flight.add(key)
            return None

    def idempotency_end(
        self, key: str, fingerprint: dict[str, Any], response: dict[str, Any] | None
    ) -> None:
        """Release the key; remember the response when the request really ran."""
        with self.lock:
            self.idempotency_in_flight.discard(key)
            if response is not None:
                self.idempotency[key] = {"fingerprint": fingerprint, **response}
