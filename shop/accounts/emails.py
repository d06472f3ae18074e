"""The one e-mail validator (accounts, guest checkout, staff forms) and customer identity.

`parse_email` is what every form uses, so an address accepted at checkout is one an
account could be opened with, and the other way round. `customer_key` is who a
once-per-customer coupon counts against: one person behind the spellings of one inbox.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import ValidationError

from shop.errors import ShopError

MAX_LENGTH = 254  # RFC 5321's limit on a forward path
INVALID = "Enter a valid e-mail address."
# Providers where dots in the local part are ignored: a.b.c@gmail.com is abc@gmail.com.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def parse_email(raw: str | None) -> str:
    """The address, trimmed and lower-cased; ShopError(422) unless it is a valid one."""
    value = (raw or "").strip()
    if not value:
        raise ShopError(422, "Enter your e-mail address.")
    if len(value) > MAX_LENGTH:
        raise ShopError(422, INVALID)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ShopError(422, INVALID) from None
    return checked.normalized.lower()


def customer_key(email: str) -> str:
    """One key per inbox: case, `+tag` and Gmail's dots do not make a new customer."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"email:{local}@{domain}"


class ValidEmail:
    """WTForms validator through `parse_email`; leaves the normalised address in `data`."""

    def __call__(self, form, field) -> None:
        try:
            field.data = parse_email(field.data)
        except ShopError as error:
            raise ValidationError(error.message) from None
