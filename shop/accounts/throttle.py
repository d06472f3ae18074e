"""Sign-in throttling that slows password guessing without locking the owner out.

Three limits count failed sign-ins (401s) only, keyed on the real client address (see
`shop.security.init_proxies`):

- per client address and account, tight: one attacker cannot guess on one account;
- per client address, over all accounts: one attacker cannot spray many accounts;
- per account over all addresses, looser: many attackers together are slowed too. The
  owner's own browser, recognised by a signed "known device" cookie set at each
  successful sign-in and password reset, is exempt from this one, so a botnet cannot
  lock the owner out. Anyone refused is offered the password-reset e-mail, which also
  marks the browser as the owner's.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, render_template, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

PER_ADDRESS_AND_ACCOUNT = "5 per 15 minutes"
PER_ADDRESS = "20 per 15 minutes"
PER_ACCOUNT = "50 per hour"

DEVICE_COOKIE = "known_device"
DEVICE_SALT = "known-device"
DEVICE_MAX_AGE = 365 * 24 * 3600


def counts_as_failure(response) -> bool:
    """Only a wrong e-mail/password pair (401) costs an attempt."""
    return response.status_code == 401


def submitted_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:320]


def account_key() -> str:
    return "login:" + submitted_email()


def account_and_address_key() -> str:
    return f"login:{submitted_email()}|{get_remote_address()}"


# --- the owner's browser --------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _account_digest(email: str) -> str:
    """The cookie names the account by a keyed hash, not by its e-mail address."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def remember_device(response, email: str) -> None:
    """Mark this browser as one the account's owner signed in with."""
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(_account_digest(email)),
        max_age=DEVICE_MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
        path="/account/",
    )


def is_known_device() -> bool:
    """True when this browser signed in to the submitted account before."""
    raw = request.cookies.get(DEVICE_COOKIE)
    email = submitted_email()
    if not raw or not email or len(raw) > 200:
        return False
    try:
        digest = _serializer().loads(raw)
    except BadSignature:
        return False
    return isinstance(digest, str) and hmac.compare_digest(digest, _account_digest(email))


def refused(limit: RequestLimit):
    """The sign-in page again, with the way out: a reset link to the owner's inbox."""
    from shop.accounts.forms import LoginForm
    from shop.accounts.service import safe_next

    target = safe_next(request.args.get("next") or request.form.get("next"), "/")
    form = LoginForm()
    form.form_errors.append(
        "Too many failed sign-ins. Wait a few minutes and try again, or get a link by "
        "e-mail to choose a new password."
    )
    html = render_template("accounts/login.html", form=form, next=target, throttled=True)
    return current_app.response_class(html, status=429)
