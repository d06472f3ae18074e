"""Test-control endpoints under `/_sandbox/` (JSON in, JSON out, no key needed).

They drive what a shopper or the bank would do (pay, decline, settle a transfer),
corrupt state on purpose, inject faults into the API, show what the API received and
which events were delivered, and wait until deliveries have finished.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from werkzeug.wrappers import Response

from .api import current_sandbox, json_response
from .params import SandboxError, not_found

bp = Blueprint("stripe_sandbox_control", __name__, url_prefix="/_sandbox")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True, force=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise SandboxError("Send a JSON object.")
    return data


def _number(data: dict, key: str, *, minimum: float = 0, integer: bool = True) -> Any:
    value = data.get(key)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        kind = "an integer" if integer else "a number"
        raise SandboxError(f"{key} must be {kind} ≥ {minimum}.", param=key)
    return value


@bp.errorhandler(SandboxError)
def _error(err: SandboxError) -> Response:
    return json_response(err.body(), err.status)


@bp.get("/health")
def health() -> Response:
    return json_response({"ok": True})


@bp.post("/sessions/<session_id>/<action>")
def session_action(session_id: str, action: str) -> Response:
    sandbox = current_sandbox()
    data = _body()
    email = data.get("email")
    actions = {
        "pay": lambda: sandbox.pay(session_id, email),
        "pay_delayed": lambda: sandbox.pay_delayed(session_id, email),
        "decline": lambda: sandbox.decline(session_id),
        "async_succeed": lambda: sandbox.async_succeed(session_id),
        "async_fail": lambda: sandbox.async_fail(session_id),
        "expire": lambda: sandbox.expire(session_id),
        "tamper": lambda: sandbox.tamper(session_id, data),
    }
    if action not in actions:
        raise SandboxError(f"Unknown action: {action}", status=404)
    return json_response(actions[action]())


@bp.get("/events")
def events() -> Response:
    history = current_sandbox().dispatcher.history()
    wanted = request.args.get("type")
    if wanted:
        history = [record for record in history if record["type"] == wanted]
    return json_response({"data": history})


@bp.post("/events/<event_id>/resend")
def resend(event_id: str) -> Response:
    dispatcher = current_sandbox().dispatcher
    if dispatcher.get(event_id) is None:
        raise not_found("event", event_id)
    if not dispatcher.resend(event_id):
        raise SandboxError("No webhook endpoint is configured.", status=409)
    return json_response({"id": event_id, "queued": True})


@bp.post("/webhook")
def webhook() -> Response:
    data = _body()
    url, secret = data.get("url"), data.get("secret")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise SandboxError("url must be an http(s) URL or null.", param="url")
    if secret is not None and not (isinstance(secret, str) and secret):
        raise SandboxError("secret must be a non-empty string.", param="secret")
    dispatcher = current_sandbox().dispatcher
    dispatcher.configure(url, secret)
    return json_response({"url": dispatcher.url})


@bp.post("/faults")
def faults() -> Response:
    data = _body()
    changes: dict[str, Any] = {}
    if "fail_next" in data:
        changes["fail_next"] = _number(data, "fail_next")
        changes["status"] = data.get("status", 500)
        if not isinstance(changes["status"], int) or not 400 <= changes["status"] <= 599:
            raise SandboxError("status must be an HTTP error status (400–599).", param="status")
    if "delay_next" in data:
        changes["delay_next"] = _number(data, "delay_next")
        changes["seconds"] = _number(data, "seconds", integer=False)
    if not changes:
        raise SandboxError("Send fail_next (and status) and/or delay_next and seconds.")
    return json_response(current_sandbox().set_faults(changes))


@bp.post("/reset")
def reset() -> Response:
    current_sandbox().reset()
    return json_response({"reset": True})


@bp.get("/requests")
def requests_log() -> Response:
    return json_response({"data": current_sandbox().request_log()})


@bp.post("/drain")
def drain() -> Response:
    """Wait (up to `timeout` seconds, default 5) until every delivery has finished."""
    data = _body()
    timeout = _number(data, "timeout", integer=False) if "timeout" in data else 5.0
    return json_response({"idle": current_sandbox().dispatcher.wait_idle(timeout)})


@bp.post("/clock")
def clock() -> Response:
    """Move the sandbox clock forward by `advance` seconds; overdue sessions expire."""
    data = _body()
    return json_response({"now": current_sandbox().advance_clock(_number(data, "advance"))})
