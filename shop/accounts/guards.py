"""Role guards for views: anonymous visitors go to sign-in, others without the role get 403."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user


def require_role(check, message: str = "This page is for Remedy Shop staff.") -> None:
    """Abort or redirect unless the current user passes `check`; returns when allowed."""
    if not current_user.is_authenticated:
        abort(redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))
    if not check(current_user):
        abort(403, description=message)


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        require_role(lambda user: user.is_admin)
        return view(*args, **kwargs)

    return wrapped
