"""Reading list parameters (`page`, `q`, `sort`) strictly, and a page of results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import abort, request

T = TypeVar("T")

MAX_QUERY_LENGTH = 200
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    per_page: int
    total: int
    more: bool = False  # the count stopped at `total`: there are more than that

    @property
    def pages(self) -> int:
        return last_page(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_arg() -> int:
    """The `page` query argument: a whole number from 1, else 400."""
    raw = request.args.get("page", "1").strip()
    if not raw.isdigit() or not raw.isascii():
        abort(400, description="The page number must be a whole number, starting at 1.")
    number = int(raw)
    if number < 1 or number > MAX_PAGE:
        abort(400, description="The page number must be a whole number, starting at 1.")
    return number


def query_arg(name: str = "q") -> str:
    """A free-text search argument, trimmed; 400 when longer than we search."""
    value = request.args.get(name, "").strip()
    if len(value) > MAX_QUERY_LENGTH:
        abort(400, description=f"Search text can be at most {MAX_QUERY_LENGTH} characters long.")
    if "\x00" in value:
        abort(400, description="Search text contains characters we cannot search for.")
    return value


def choice_arg(name: str, choices: Sequence[str], default: str) -> str:
    value = request.args.get(name, default)
    if value not in choices:
        abort(400, description=f"'{name}' must be one of: {', '.join(choices)}.")
    return value


def last_page(total: int, per_page: int) -> int:
    """The number of the last page of `total` rows (1 for none)."""
    return max(1, math.ceil(total / per_page))


def ensure_page_within(number: int, total: int, per_page: int) -> None:
    """404 for a page past `total` rows, checked before the page's own query runs: a
    page past a capped list's cap (or past a counted list's end) never pays its OFFSET."""
    if number > last_page(total, per_page):
        abort(404, description="There is no such page of results.")


def ensure_page_exists(page: Page) -> None:
    """404 for a page past the last one (page 1 of an empty list is fine)."""
    ensure_page_within(page.number, page.total, page.per_page)
