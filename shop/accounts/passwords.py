"""Password hashing with Argon2id (argon2-cffi), and the rules for a new password."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10
MAX_LENGTH = 128
# 20,000 passwords seen most often in breaches (Royce Williams' list, as Django ships it;
# see data/LICENSE-common-passwords.txt), lower-cased. Attackers try these first.
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
SHOP_WORDS = frozenset({"remedyshop", "remedy shop", "remedyshop123"})


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip()) | SHOP_WORDS


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
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        return (
            "That password is one of the most common ones, which attackers try first. "
            "Try a short phrase of a few words."
        )
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if len(set(lowered)) < 4:
        return "That password is too easy to guess. Try a short phrase of a few words."
    if email and lowered == email.lower():
        return "Your password cannot be your e-mail address."
    return None
