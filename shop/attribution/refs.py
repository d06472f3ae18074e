"""Reading where a shopper came from: `?ref=<article>&pos=<n>`, the `shop_ref` cookie, bots.

Pure functions of plain values. Anything malformed reads as "no reference": a junk
`ref` or `pos` in a URL is ignored, never stored and never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ATTRIBUTION_DAYS = 7  # an order line goes to the last article the shopper came from within
WINDOW = timedelta(days=ATTRIBUTION_DAYS)
MAX_POSITION = 99  # more product embeds than this in one article is not a real article
COOKIE = "shop_ref"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_POS = re.compile(r"[1-9][0-9]?")
_COOKIE_VALUE = re.compile(r"([a-z0-9-]{1,160})\.([1-9][0-9]?)\.([0-9]{1,12})")

# The one list of words that identify a robot in a User-Agent (case-insensitive). A
# visitor whose User-Agent contains any of them is never counted.
BOT_WORDS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scrape",
    "fetch",
    "preview",
    "headless",
    "lighthouse",
    "pingdom",
    "monitor",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "httpclient",
    "go-http-client",
    "facebookexternalhit",
    "mediapartners",
    "bingpreview",
)
_BOT = re.compile("|".join(re.escape(word) for word in BOT_WORDS), re.IGNORECASE)


def is_bot(user_agent: str | None) -> bool:
    """Whether the User-Agent says it is a robot (an empty one is given the benefit)."""
    return bool(user_agent) and _BOT.search(user_agent) is not None


def article_slug(raw: str | None) -> str | None:
    """The article slug in `raw`, or None when it is not one."""
    if raw is None or len(raw) > 160 or not _SLUG.fullmatch(raw):
        return None
    return raw


def position(raw: str | None) -> int | None:
    """An embed position 1–99 written plainly (`3`, not `03`, `+3` or `٣`), else None."""
    if raw is None or not _POS.fullmatch(raw):
        return None
    return int(raw)


@dataclass(frozen=True)
class Ref:
    """An article and the position of the embed the shopper followed, and when."""

    slug: str
    pos: int
    at: datetime

    def cookie_value(self) -> str:
        return f"{self.slug}.{self.pos}.{int(self.at.timestamp())}"

    def fresh(self, now: datetime) -> bool:
        """Still within the attribution window at `now` (and not from the future)."""
        return now - WINDOW <= self.at <= now + timedelta(minutes=5)


def from_query(ref: str | None, pos: str | None, now: datetime) -> Ref | None:
    """The reference in a product URL's `ref` and `pos`, when both are well formed."""
    slug, number = article_slug(ref), position(pos)
    if slug is None or number is None:
        return None
    return Ref(slug, number, now)


def from_cookie(value: str | None, now: datetime) -> Ref | None:
    """The `shop_ref` cookie's reference while it is within the window, else None."""
    match = _COOKIE_VALUE.fullmatch(value or "")
    if match is None or article_slug(match.group(1)) is None:
        return None
    try:
        at = datetime.fromtimestamp(int(match.group(3)), UTC)
    except (OverflowError, OSError, ValueError):
        return None
    ref = Ref(match.group(1), int(match.group(2)), at)
    return ref if ref.fresh(now) else None
