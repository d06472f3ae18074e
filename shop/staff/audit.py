"""The audit log: who changed what, when, with the values before and after.

Back-office code calls `audit(...)` in the same transaction as the change it describes,
so a change and its record are committed (or rolled back) together.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, bindparam, insert, inspect, text
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


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """Column values read with Core (a row's mapping), JSON-ready like `snapshot`."""
    return {key: _plain(value) for key, value in values.items()}


def actor() -> tuple[int | None, str]:
    """(user id, e-mail) of whoever makes the change: a background job's staff member
    (`g.audit_actor`), the signed-in user of the request, or the system."""
    if g.get("audit_actor"):
        return g.audit_actor
    if has_request_context() and current_user.is_authenticated:
        return current_user.id, current_user.email
    return None, "system"


def audit(
    action: str,
    object_type: str,
    object_id: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
) -> AuditEntry:
    """Record one staff change (the caller commits it with the change)."""
    actor_id, actor_email = actor()
    entry = AuditEntry(
        actor_id=actor_id,
        actor_email=actor_email,
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


AUDIT_COLUMNS = ("action", "object_type", "object_id", "summary", "before", "after")


def audit_many(entries: list[dict[str, Any]]) -> int:
    """Record many changes in one INSERT (bulk jobs such as the CSV import).

    Each entry has the keys of `audit`'s arguments: action, object_type, object_id,
    before, after, summary. PostgreSQL gets one `INSERT … SELECT FROM unnest(:arrays)`,
    SQLite an executemany. Returns how many were written.
    """
    if not entries:
        return 0
    actor_id, actor_email = actor()
    rows = [
        {"before": None, "after": None, "summary": ""}
        | entry
        | {"object_id": str(entry["object_id"])}
        for entry in entries
    ]
    if db.session.get_bind().dialect.name != "postgresql":
        common = {"created_at": utcnow(), "actor_id": actor_id, "actor_email": actor_email}
        db.session.execute(insert(AuditEntry.__table__), [common | row for row in rows])
        return len(rows)
    arrays = {name: [row[name] for row in rows] for name in AUDIT_COLUMNS}
    for name in ("before", "after"):
        arrays[name] = [None if value is None else json.dumps(value) for value in arrays[name]]
    db.session.execute(
        text(
            "INSERT INTO audit_entries (created_at, actor_id, actor_email, "
            + ", ".join(AUDIT_COLUMNS)
            + ") SELECT :created_at, :actor_id, :actor_email, d.action, d.object_type, "
            "d.object_id, d.summary, CAST(d.before AS json), CAST(d.after AS json) FROM unnest("
            + ", ".join(f"CAST(:{name} AS text[])" for name in AUDIT_COLUMNS)
            + ") AS d("
            + ", ".join(AUDIT_COLUMNS)
            + ")"
        ).bindparams(
            bindparam("created_at", type_=UTCDateTime),
            bindparam("actor_id", type_=Integer),
        ),
        {"created_at": utcnow(), "actor_id": actor_id, "actor_email": actor_email} | arrays,
    )
    return len(rows)
