"""Back office: browse the audit log — who changed what, when, and the values before/after.

Every staff member may read it (it is how a team checks its own work); entries are
written by the modules that make the changes, never here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import abort, render_template, request
from sqlalchemy import select

from shop.extensions import db
from shop.listing import query_arg
from shop.pricing.money import format_money
from shop.staff.audit import AuditEntry, is_money
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.lists import staff_page

menu_item(60, "staff.audit_log", "Audit log")

# Object types and actions are short machine words ("order", "change_role").
_WORD = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
MAX_OBJECT_ID = 80  # AuditEntry.object_id is String(80)
SHORT_VALUE = 120


def _word_arg(name: str) -> str:
    value = request.args.get(name, "").strip()
    if value and not _WORD.fullmatch(value):
        abort(
            400,
            description=f"'{name}' must be a single word of at most 40 letters, digits or _ . : -",
        )
    return value


def show_value(value: Any, limit: int | None = None, *, money: bool = False) -> str:
    """A stored before/after value as text: money in rupees, strings as they are, else JSON."""
    if money and isinstance(value, int) and not isinstance(value, bool):
        return format_money(value)
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _distinct(column) -> list[str]:
    return list(db.session.scalars(select(column).distinct().order_by(column)))


@bp.get("/audit/")
def audit_log():
    object_type = _word_arg("object_type")
    action = _word_arg("action")
    object_id = request.args.get("object_id", "").strip()
    if len(object_id) > MAX_OBJECT_ID:
        abort(400, description=f"'object_id' can be at most {MAX_OBJECT_ID} characters long.")
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    page = staff_page(stmt, search_columns=(AuditEntry.actor_email,))
    return render_template(
        "staff/audit/list.html",
        page=page,
        q=query_arg("q"),
        object_type=object_type,
        action=action,
        object_id=object_id,
        object_types=_distinct(AuditEntry.object_type),
        actions=_distinct(AuditEntry.action),
        show_value=show_value,
        is_money=is_money,
        short=SHORT_VALUE,
    )


@bp.get("/audit/<int:entry_id>")
def audit_entry(entry_id: int):
    entry = get_or_404(AuditEntry, entry_id)
    fields = sorted((entry.before or {}).keys() | (entry.after or {}).keys())
    return render_template(
        "staff/audit/detail.html",
        entry=entry,
        fields=fields,
        changed=set(entry.changed_fields),
        show_value=show_value,
        is_money=is_money,
    )
