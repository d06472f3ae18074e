"""Password hashing with Argon2id (argon2-cffi), and the rules for a new password."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON = frozenset(
    """password password1 password12 password123 1234567890 12345678910 qwertyuiop
    iloveyou12 letmein123 welcome123 administrator passw0rd123 qwerty1234 1q2w3e4r5t
    abcdefghij 0987654321 1111111111 aaaaaaaaaa remedyshop""".split()
)


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"]
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# Verifying against this when no account matches keeps "no such user" as slow as
# "wrong password", so response times do not reveal which e-mails have accounts.
def dummy_verify(password: str) -> None:
    verify_password(_dummy_hash(), password)


def _dummy_hash() -> str:
    cache = current_app.extensions.setdefault("dummy_password_hash", {})
    if "hash" not in cache:
        cache["hash"] = hash_password("not-a-real-password-at-all")
    return cache["hash"]


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is too weak, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        return "That password is too easy to guess. Try a short phrase of a few words."
    if email and lowered == email.lower():
        return "Your password cannot be your e-mail address."
    return None
