"""The `Stripe-Signature` header, computed the way Stripe computes it.

Stripe signs `"<timestamp>.<raw body>"` with HMAC-SHA256 keyed by the endpoint's
signing secret and sends `t=<timestamp>,v1=<hex digest>`. The receiver recomputes the
digest over the exact bytes it received, so the body must never be re-serialised
between signing and sending.
"""

from __future__ import annotations

import hashlib
import hmac


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """Return the `Stripe-Signature` header value for `payload` sent at `timestamp`."""
    signed = str(int(timestamp)).encode("ascii") + b"." + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={int(timestamp)},v1={digest}"
