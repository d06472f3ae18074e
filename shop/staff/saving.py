"""The one audited save every back-office form goes through.

flush → a unique constraint lost to someone else is a conflict page → nothing changed
is said so and writes nothing → one audit entry per changed object → commit → flash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import flash
from sqlalchemy.exc import IntegrityError

from shop.extensions import db
from shop.staff.audit import audit

IGNORED = ("updated_at",)  # moves on every write; not a change anyone made


def changed_fields(before: dict | None, after: dict) -> list[str]:
    """The keys whose values differ (every key when there was no `before`)."""
    before = before or {}
    return sorted(
        k
        for k in before.keys() | after.keys()
        if k not in IGNORED and before.get(k) != after.get(k)
    )


@dataclass
class Tracked:
    """One object a save may change: its audit type, its state before, how to read it."""

    kind: str
    obj: Any
    before: dict | None  # None: created by this save
    state: Callable[[Any], dict]
    summary: Callable[[Any, list[str]], str]
    object_id: Callable[[Any], Any] = lambda obj: obj.id


def record_changes(tracked: Sequence[Tracked]) -> int:
    """Audit each tracked object that was created or changed; how many were."""
    recorded = 0
    for item in tracked:
        after = item.state(item.obj)
        fields = changed_fields(item.before, after)
        if item.before is not None and not fields:
            continue
        audit(
            "create" if item.before is None else "update",
            item.kind,
            item.object_id(item.obj),
            before=item.before,
            after=after,
            summary=item.summary(item.obj, fields),
        )
        recorded += 1
    return recorded


def save_audited(
    tracked: Tracked | Sequence[Tracked],
    *,
    saved: str,
    conflict: Callable[[], Any],
    unchanged: str = "Nothing changed.",
    already_recorded: int = 0,
):
    """Flush, audit, commit and flash; the conflict response, or None when saved.

    `conflict` renders the page again after a unique constraint refused the write (the
    session is rolled back first). `already_recorded` counts audit entries the caller
    wrote itself in this transaction (deletions), so they are committed too.
    """
    items = [tracked] if isinstance(tracked, Tracked) else list(tracked)
    try:
        db.session.flush()
        recorded = record_changes(items) + already_recorded
        if not recorded:
            db.session.rollback()
            flash(unchanged, "notice")
            return None
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return conflict()
    flash(saved, "success")
    return None


def render_invalid(page: Callable[[], Any]):
    """Roll back whatever validation loaded or half-applied, then render the form again."""
    db.session.rollback()
    return page()
