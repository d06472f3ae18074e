"""The shop's own clock: people type and read times in `SHOP_TIMEZONE`, the database keeps UTC.

- `load_zone` checks the setting at start-up (an unknown zone refuses to start).
- `localtime` is the one way a stored moment becomes text for people; templates reach it
  as the `localtime` filter, e-mails and stored notes call it directly.
- `from_shop_time` reads a wall-clock time staff typed (naive) as a UTC moment. A time
  that a clock change skips (01:30 on the morning the clocks go forward in London) is
  refused; one that happens twice (the hour the clocks go back) means the first of the
  two, as a clock on the wall would first show it.
- GST dates stay on Indian time whatever this says (`shop.pricing.gst`): the tax law's
  calendar is India's, not the shop's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from shop.database import utcnow

DEFAULT_ZONE = "Asia/Kolkata"
DEFAULT_FORMAT = "%d %b %Y %H:%M %Z"


class UnknownZone(ValueError):
    """`SHOP_TIMEZONE` names no zone of the time zone database."""


def load_zone(name: str) -> ZoneInfo:
    """The zone called `name` (an IANA name such as Asia/Kolkata or Europe/London)."""
    try:
        if not name or name != name.strip() or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownZone(
            f"SHOP_TIMEZONE={name!r} is not a time zone this machine knows. Use an IANA "
            f"name such as {DEFAULT_ZONE} or Europe/London (install the tzdata package "
            "if none is found)."
        ) from None


def shop_zone() -> ZoneInfo:
    """The zone of the running app (ZoneInfo keeps one instance per name)."""
    return ZoneInfo(current_app.config.get("SHOP_TIMEZONE") or DEFAULT_ZONE)


def to_shop_time(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A stored moment as the shop's wall clock shows it (aware, in the shop's zone)."""
    if moment.tzinfo is None:  # the database layer always returns aware values; be safe
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(zone or shop_zone())
    except OverflowError:  # the last hours of year 9999 east of UTC: show them in UTC
        return moment.astimezone(UTC)


def from_shop_time(wall: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A wall-clock time typed in the shop's zone as a UTC moment.

    Raises ValueError for a time the zone skips at a clock change.
    """
    zone = zone or shop_zone()
    local = wall.replace(tzinfo=zone, fold=0)
    try:
        moment = local.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 east of UTC is before the first year
        raise ValueError(f"{wall:%Y-%m-%d %H:%M} is outside the calendar.") from None
    if moment.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None, fold=0):
        raise ValueError(
            f"{wall:%d %b %Y %H:%M} does not exist in {zone.key}: the clocks skip it. "
            "Choose a time outside the change."
        )
    return moment


def localtime(moment: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """Show a stored moment in the shop's zone: 29 Nov 2026 11:40 IST ("" for None)."""
    if moment is None:
        return ""
    return to_shop_time(moment).strftime(fmt)


def shop_today() -> date:
    """Today's date on the shop's calendar."""
    return utcnow().astimezone(shop_zone()).date()
