"""Ids, amounts and list pages written the way Stripe writes them."""

from __future__ import annotations

import copy
import secrets
import string

from .params import not_found

_ALPHABET = string.ascii_letters + string.digits
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def format_amount(amount: int, currency: str) -> str:
    """`INR 1466.00`: plain, for the sandbox's own page (not the shop's money filter)."""
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{currency.upper()} {amount}"
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{currency.upper()} {sign}{whole}.{cents:02d}"


def page(items: list[dict], *, limit: int, starting_after: str | None, url: str) -> dict:
    """A Stripe list object holding at most `limit` items after `starting_after`."""
    start = 0
    if starting_after is not None:
        ids = [item["id"] for item in items]
        if starting_after not in ids:
            raise not_found("object", starting_after, param="starting_after")
        start = ids.index(starting_after) + 1
    chunk = items[start : start + limit]
    return {
        "object": "list",
        "data": copy.deepcopy(chunk),
        "has_more": start + limit < len(items),
        "url": url,
    }
