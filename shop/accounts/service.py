"""Account operations: sign-up, sign-in with session renewal, sign-out, passwords.

Functions add and flush; the view or command commits once.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import unquote, urlsplit

from flask import current_app, session, url_for
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from shop.accounts.models import ROLES, User
from shop.accounts.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from shop.cart import service as cart_service
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db
from shop.mail import send_mail

RESET_SALT = "password-reset"


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str, password: str, role: str = "customer", doctor_id: int | None = None
) -> User:
    """Create an account; refuses an e-mail that already has one."""
    email = email.strip().lower()
    if find_user(email) is not None:
        raise ShopError(
            422,
            "This e-mail address cannot be used to register. If it is yours, sign in or "
            "reset your password.",
        )
    user = User(email=email, password_hash=hash_password(password))
    set_role(user, role, doctor_id)
    db.session.add(user)
    db.session.flush()
    return user


def set_role(user: User, role: str, doctor_id: int | None = None) -> None:
    """Give `user` a role; a doctor answers as one Doctor profile that no other account holds."""
    if role not in ROLES:
        raise ShopError(422, f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if role != "doctor":
        doctor_id = None
    elif doctor_id is None:
        raise ShopError(422, "A doctor account needs the doctor profile it answers as.")
    else:
        holder = db.session.scalar(select(User).where(User.doctor_id == doctor_id))
        if holder is not None and holder is not user:
            raise ShopError(409, f"That doctor profile is already linked to {holder.email}.")
    user.role = role
    user.doctor_id = doctor_id


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (equally slow either way)."""
    user = find_user(email)
    if user is None or not user.active:
        dummy_verify(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def log_in(user: User) -> list[str]:
    """Start a fresh session for `user`, bringing the guest cart along.

    The old session's contents (and so its CSRF token) are dropped: a session fixed or
    copied before sign-in is worth nothing after it.
    """
    guest_cart = cart_service.current_cart()
    session.clear()
    login_user(user)
    user.last_login_at = utcnow()
    account_cart = cart_service.cart_for_user(user.id, create=guest_cart is not None)
    notices: list[str] = []
    if guest_cart is not None and guest_cart.user_id is None:
        notices = cart_service.merge_carts(guest_cart, account_cart)
    cart_service.remember_count(account_cart)
    return notices


def end_sessions(user: User) -> None:
    """Make every session cookie issued to `user` so far invalid."""
    user.session_version += 1


def log_out(user: User) -> None:
    end_sessions(user)
    logout_user()
    session.clear()


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ShopError(422, "Your current password is not right.")
    user.password_hash = hash_password(new)
    end_sessions(user)
    db.session.flush()
    login_user(user)  # this browser stays signed in under the new session version


# --- password reset ----------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _fingerprint(user: User) -> str:
    """Changes whenever the password does, which makes a used token worthless."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """The user a reset token belongs to; ShopError when forged, expired or used."""
    if len(token) > 512:
        raise ShopError(400, "This reset link is not valid.")
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ShopError(400, "This reset link has expired. Ask for a new one.") from None
    except BadSignature:
        raise ShopError(400, "This reset link is not valid.") from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(str(data.get("fp")), _fingerprint(user))
    ):
        raise ShopError(400, "This reset link has already been used or is not valid.")
    return user


def send_reset_link(email: str) -> None:
    """Mail a reset link when the account exists; say nothing either way."""
    user = find_user(email)
    if user is None or not user.active:
        return
    base = current_app.config["SHOP_BASE_URL"]
    link = base + url_for("accounts.password_reset_confirm", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    send_mail(
        user.email,
        "Reset your Remedy Shop password",
        f"Someone asked to reset the password of your Remedy Shop account.\n\n"
        f"To choose a new password, open this link within {minutes} minutes:\n{link}\n\n"
        "The link works once. If you did not ask for this, ignore this e-mail: your "
        "password stays as it is.\n",
    )


def reset_password(user: User, new: str) -> None:
    user.password_hash = hash_password(new)
    end_sessions(user)
    db.session.flush()


# --- redirects ----------------------------------------------------------------------------


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`.

    Browsers treat backslashes as slashes and ignore tabs and newlines, so
    `/\\evil.example` or an encoded `//` would leave the site: refuse anything but a plain
    absolute path.
    """
    if not target or len(target) > 2000:
        return default
    decoded = target
    for _ in range(3):  # look through a few layers of percent-encoding
        decoded = unquote(decoded)
    if any(ch in decoded for ch in "\\\t\r\n") or any(ord(ch) < 32 for ch in decoded):
        return default
    if not decoded.startswith("/") or decoded.startswith("//"):
        return default
    parts = urlsplit(decoded)
    if parts.scheme or parts.netloc:
        return default
    return target


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the session's id must carry the current session version."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
