"""The audit log: who changed what, when, with the values before and after.

Back-office code calls `audit(...)` in the same transaction as the change it describes,
so a change and its record are committed (or rolled back) together.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, Text, inspect
from sqlalchemy.orm import Mapped, mapped_column

from shop.database import UTCDateTime, utcnow
from shop.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str] = mapped_column(String(320), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)  # create, update, delete, …
    object_type: Mapped[str] = mapped_column(String(40), index=True)  # product, coupon, …
    object_id: Mapped[str] = mapped_column(String(80), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    @property
    def changed_fields(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


# Before/after keys that hold paise, by the audited object's type. Discount `value` is
# money only for fixed discounts (a percent is a plain number), so it is decided per side.
MONEY_FIELDS: dict[str, frozenset[str]] = {
    "variant": frozenset({"mrp", "price"}),
    "sale": frozenset(),
    "coupon": frozenset({"min_subtotal", "max_discount"}),
    "shipping_rate": frozenset({"fee", "free_from"}),
    "order": frozenset({"amount_refunded", "refund_amount"}),
}
DISCOUNT_TYPES = ("sale", "coupon")


def is_money(object_type: str, values: dict | None, key: str) -> bool:
    """Whether `values[key]` of an entry about `object_type` is an amount of paise."""
    if object_type in DISCOUNT_TYPES and key == "value":
        return (values or {}).get("kind") == "fixed"
    return key in MONEY_FIELDS.get(object_type, ())


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(obj, *extra: str) -> dict[str, Any]:
    """The column values of a model instance (plus named extra attributes), JSON-ready."""
    values = {attr.key: _plain(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs}
    for name in extra:
        values[name] = _plain(getattr(obj, name))
    return values


def audit(
    action: str,
    object_type: str,
    object_id: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
) -> AuditEntry:
    """Record one staff change (the caller commits it with the change).

    Outside a request (a CLI command such as `expire-orders`) the actor is "system".
    """
    user = current_user if has_request_context() and current_user.is_authenticated else None
    entry = AuditEntry(
        actor_id=user.id if user else None,
        actor_email=user.email if user else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary,
        before=before,
        after=after,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
