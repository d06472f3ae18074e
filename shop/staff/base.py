"""The staff blueprint, its guard and its menu; every back-office module adds routes here."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from shop.accounts.guards import require_role

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


def actor() -> str:
    """How staff appear in order timelines and the audit log."""
    return f"staff:{current_user.email}"
