"""The staff blueprint, its guard and its menu; every back-office module adds routes here."""

from __future__ import annotations

import re

from flask import Blueprint, abort
from flask_login import current_user

from shop.accounts.guards import require_role
from shop.extensions import db

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The back office's menu: (position, endpoint, label, admins only); modules add theirs
# with `menu_item`.
MENU: list[tuple[int, str, str, bool]] = []


def menu_item(position: int, endpoint: str, label: str, *, admin_only: bool = False) -> None:
    if all(entry[1] != endpoint for entry in MENU):
        MENU.append((position, endpoint, label, admin_only))
        MENU.sort()


@bp.before_request
def staff_only():
    """Every /staff URL: anonymous visitors sign in first, customers get 403."""
    require_role(lambda user: user.is_staff)


@bp.context_processor
def menu():
    return {
        "staff_menu": lambda: [
            (endpoint, label)
            for _, endpoint, label, admin_only in MENU
            if current_user.is_admin or not admin_only
        ],
    }


MAX_ID = 2**31 - 1  # larger ids cannot exist, and PostgreSQL refuses to compare with them


def get_or_404(model, object_id: int):
    """The row with this primary key, or 404 (also for ids no table can hold)."""
    obj = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    if obj is None:
        kind = re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()  # ProductImage → …
        abort(404, description=f"There is no such {kind}.")
    return obj


def actor() -> str:
    """How staff appear in order timelines and the audit log."""
    return f"staff:{current_user.email}"
