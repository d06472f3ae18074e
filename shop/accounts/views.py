"""Register, sign in and out, change and reset passwords (SPEC §4, §8)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from shop.accounts import service
from shop.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
)
from shop.accounts.service import safe_next
from shop.errors import ShopError
from shop.extensions import db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/account")

LOGIN_FAILED = "That e-mail and password do not match an account."


def _login_failed(response) -> bool:
    """Count only failed sign-ins against the limits."""
    return response.status_code != 303


def _account_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:320]


def _invalid(form: FlaskForm, template: str, status: int = 422, **context):
    db.session.rollback()
    return render_template(template, form=form, **context), status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegisterForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _invalid(form, "accounts/register.html", status)
    try:
        user = service.create_user(form.email.data, form.password.data)
    except ShopError as error:
        form.email.errors.append(error.message)
        return _invalid(form, "accounts/register.html", error.status)
    notices = service.log_in(user)
    db.session.commit()
    flash("Welcome! Your account is ready.", "success")
    for notice in notices:
        flash(notice, "notice")
    return redirect(url_for("accounts.profile"), 303)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"], deduct_when=_login_failed)
@limiter.limit(
    "5 per 15 minutes", methods=["POST"], key_func=_account_key, deduct_when=_login_failed
)
def login():
    target = safe_next(request.args.get("next") or request.form.get("next"), url_for("core.home"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _invalid(form, "accounts/login.html", status, next=target)
    user = service.authenticate(form.email.data, form.password.data)
    if user is None:
        form.form_errors.append(LOGIN_FAILED)
        return _invalid(form, "accounts/login.html", 401, next=target)
    notices = service.log_in(user)
    db.session.commit()
    for notice in notices:
        flash(notice, "notice")
    flash("You are signed in.", "success")
    return redirect(target, 303)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        service.log_out(current_user._get_current_object())
        db.session.commit()
    flash("You are signed out.", "success")
    return redirect(url_for("core.home"), 303)


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():
    form = PasswordChangeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid(form, "accounts/profile.html")
        try:
            service.change_password(
                current_user._get_current_object(), form.current.data, form.password.data
            )
        except ShopError as error:
            form.current.errors.append(error.message)
            return _invalid(form, "accounts/profile.html", error.status)
        db.session.commit()
        flash("Your password was changed. Other devices have been signed out.", "success")
        return redirect(url_for("accounts.profile"), 303)
    return render_template("accounts/profile.html", form=form)


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
def password_reset():
    form = ResetRequestForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid(form, "accounts/reset_request.html")
        service.send_reset_link(form.email.data)
        db.session.commit()
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"])
def password_reset_confirm(token: str):
    try:
        user = service.user_for_reset_token(token)
    except ShopError as error:
        abort(error.status, description=error.message)
    form = ResetForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid(form, "accounts/reset_form.html")
        service.reset_password(user, form.password.data)
        db.session.commit()
        flash("Your password was changed. Sign in with the new one.", "success")
        return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/reset_form.html", form=form)
