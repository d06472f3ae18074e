"""Account operations: sign-up, sign-in, sign-out, passwords, reset links.

Services take plain values (an e-mail, a password, a User, a Cart) and never read the
request or the session: the views parse forms and keep the session. Functions add and
flush; the view or command commits once.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import unquote, urlsplit

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from shop.accounts.emails import parse_email
from shop.accounts.models import ROLES, User
from shop.accounts.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from shop.cart import service as cart_service
from shop.cart.models import Cart
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db
from shop.mail import send_mail

RESET_SALT = "password-reset"


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _insert_user(
    email: str, password_hash: str, role: str, doctor_id: int | None = None
) -> User | None:
    """Add the account, or None when the e-mail has one.

    `INSERT … ON CONFLICT (email) DO NOTHING`: when two sign-ups for one address race,
    the unique index decides and the loser gets None instead of an IntegrityError.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    user_id = db.session.scalar(
        insert(User)
        .values(email=email, password_hash=password_hash, role=role, doctor_id=doctor_id)
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User.id)
    )
    return db.session.get(User, user_id) if user_id is not None else None


def create_user(
    email: str, password: str, role: str = "customer", doctor_id: int | None = None
) -> User:
    """Create an account (CLI, demo data); refuses an e-mail that already has one."""
    email = parse_email(email)
    draft = User()  # not added: only checks the role and doctor profile before the insert
    set_role(draft, role, doctor_id)
    user = _insert_user(email, hash_password(password), draft.role, draft.doctor_id)
    if user is None:
        raise ShopError(409, f"{email} already has an account.")
    return user


def register(email: str, password: str) -> User | None:
    """Open a customer account, answering the same whether or not the e-mail has one.

    A new account's owner is welcomed by e-mail; an existing account's owner is told
    someone tried, with the sign-in and reset links. Only the inbox learns which it was,
    so the form cannot be used to find out who shops here. None when it existed.
    """
    email = parse_email(email)
    password_hash = hash_password(password)  # hashed either way: the same time either way
    user = _insert_user(email, password_hash, "customer")
    base = current_app.config["SHOP_BASE_URL"]
    sign_in = base + url_for("accounts.login")
    if user is not None:
        send_mail(
            email,
            "Welcome to Remedy Shop",
            "Your Remedy Shop account is ready. Sign in with this e-mail address and the "
            f"password you chose:\n{sign_in}\n\n"
            "If you did not create it, ignore this e-mail or reset the password:\n"
            f"{base + url_for('accounts.password_reset')}\n",
        )
    else:
        send_mail(
            email,
            "Someone tried to open a Remedy Shop account with your e-mail",
            "Someone tried to create a Remedy Shop account with this e-mail address, which "
            "already has one. If it was you, sign in here:\n"
            f"{sign_in}\n\n"
            "Forgotten the password? Choose a new one here:\n"
            f"{base + url_for('accounts.password_reset')}\n\n"
            "If it was not you, ignore this e-mail: nothing has changed.\n",
        )
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


def record_login(user: User, guest_cart: Cart | None) -> tuple[Cart | None, list[str]]:
    """Note the sign-in and bring the guest's cart into the account's.

    Returns the account's cart (None when neither has one) and notices about lines that
    could not come along.
    """
    user.last_login_at = utcnow()
    account_cart = cart_service.cart_for_user(user.id, create=guest_cart is not None)
    notices: list[str] = []
    if guest_cart is not None and guest_cart.user_id is None:
        notices = cart_service.merge_carts(guest_cart, account_cart)
    return account_cart, notices


def end_sessions(user: User) -> None:
    """Make every session cookie issued to `user` so far invalid."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; ends the other sessions."""
    if not verify_password(user.password_hash, current):
        raise ShopError(422, "Your current password is not right.")
    user.password_hash = hash_password(new)
    end_sessions(user)
    db.session.flush()


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
        raise ShopError(
            400,
            "This reset link has already been used: each link works once, and stops working "
            "when the password changes.",
        )
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
