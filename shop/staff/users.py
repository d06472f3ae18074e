"""Back office: admins grant and revoke staff roles (SPEC §8). Admins only.

A role change ends every session the user has, so the new role applies at once rather
than whenever their cookie happens to expire, and it is audited with the role before
and after.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectChoice, SelectField
from wtforms.validators import AnyOf

from shop.accounts.guards import admin_required
from shop.accounts.models import ROLES, User
from shop.accounts.service import end_sessions, set_role
from shop.checkout.models import Order
from shop.content.models import Doctor
from shop.errors import ShopError
from shop.extensions import db
from shop.listing import query_arg
from shop.staff.audit import AuditEntry, audit
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.lists import staff_page

menu_item(50, "staff.users", "Users", admin_only=True)

ROLE_LABELS = {
    "customer": "Customer",
    "staff": "Staff",
    "admin": "Admin",
    "doctor": "Doctor",
    "pharmacist": "Pharmacist",
}


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
        validate_choice=False,
        validators=[AnyOf(ROLES, message="Choose customer, staff, admin, doctor or pharmacist.")],
    )
    doctor = SelectField("Doctor profile (for doctors)", validate_choice=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        doctors = db.session.execute(select(Doctor.slug, Doctor.name).order_by(Doctor.name))
        self.doctor.choices = [SelectChoice("", "—")] + [
            SelectChoice(slug, name) for slug, name in doctors
        ]

    def chosen_doctor(self) -> Doctor | None:
        """The doctor profile picked from the list, if it is one of its choices."""
        known = {choice.value for choice in self.doctor.choices if choice.value}
        slug = self.doctor.data if self.doctor.data in known else None
        return db.session.scalar(select(Doctor).where(Doctor.slug == slug)) if slug else None


def _role_state(role: str, doctor_id: int | None, other_doctor_id: int | None) -> dict:
    """The role for the audit log, with the doctor profile when either side has one."""
    if doctor_id is None and other_doctor_id is None:
        return {"role": role}
    return {"role": role, "doctor_id": doctor_id}


def _user_or_404(user_id: int) -> User:
    return get_or_404(User, user_id)


def _user_page(
    user: User, *, form: RoleForm | None = None, status: int = 200, problem: str | None = None
):
    if form is None:
        profile = db.session.get(Doctor, user.doctor_id) if user.doctor_id else None
        form = RoleForm(formdata=None, role=user.role, doctor=profile.slug if profile else "")
    orders = db.session.scalar(
        select(func.count()).select_from(Order).where(Order.user_id == user.id)
    )
    history = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "staff/users/detail.html",
        user=user,
        form=form,
        orders=orders,
        history=history,
        labels=ROLE_LABELS,
        problem=problem,
    ), status


@bp.get("/users/")
@admin_required
def users():
    role = request.args.get("role", "").strip()
    if role and role not in ROLES:
        abort(400, description=f"Unknown role. Use one of: {', '.join(ROLES)}.")
    stmt = select(User).order_by(User.email)
    if role:
        stmt = stmt.where(User.role == role)
    page = staff_page(stmt, search_columns=(User.email,))
    return render_template(
        "staff/users/list.html",
        page=page,
        q=query_arg("q"),
        role=role,
        roles=ROLES,
        labels=ROLE_LABELS,
    )


@bp.get("/users/<int:user_id>")
@admin_required
def user_detail(user_id: int):
    return _user_page(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    """Set a user's role; an admin cannot change their own (so one admin always remains)."""
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _user_page(user, form=form, status=422)
    new_role, old_role = form.role.data, user.role
    doctor = form.chosen_doctor() if new_role == "doctor" else None
    if new_role == "doctor" and doctor is None:
        form.doctor.errors.append("Choose the doctor profile this account answers as.")
        db.session.rollback()
        return _user_page(user, form=form, status=422)
    old_doctor_id = user.doctor_id
    new_doctor_id = doctor.id if doctor else None
    if new_role == old_role and new_doctor_id == old_doctor_id:
        flash(
            f"{user.email} is already {ROLE_LABELS[new_role].lower()}; nothing changed.", "notice"
        )
        return redirect(url_for("staff.user_detail", user_id=user.id), 303)
    if user.id == current_user.id:
        db.session.rollback()
        problem = "You cannot change your own role. Ask another admin to do it."
        return _user_page(user, form=form, status=409, problem=problem)
    try:
        set_role(user, new_role, new_doctor_id)
    except ShopError as error:
        db.session.rollback()
        return _user_page(user, form=form, status=error.status, problem=error.message)
    end_sessions(user)
    audit(
        "change_role",
        "user",
        user.id,
        before=_role_state(old_role, old_doctor_id, new_doctor_id),
        after=_role_state(new_role, new_doctor_id, old_doctor_id),
        summary=f"{user.email}: {old_role} → {new_role}"
        + (f" ({doctor.name})" if doctor is not None else ""),
    )
    db.session.commit()
    flash(
        f"{user.email} is now {ROLE_LABELS[new_role].lower()}. Their sessions have ended: "
        "the new role applies when they sign in again.",
        "success",
    )
    return redirect(url_for("staff.user_detail", user_id=user.id), 303)
