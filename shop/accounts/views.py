"""Register, sign in and out, change and reset passwords (SPEC §4, §8).

The views parse the forms and own the session (who is signed in, the cart's count);
`shop.accounts.service` does the rest with plain values.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from shop.accounts import service, throttle
from shop.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
)
from shop.accounts.models import User
from shop.accounts.service import safe_next
from shop.cart import service as cart_service
from shop.errors import ShopError
from shop.extensions import db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/account")

LOGIN_FAILED = "That e-mail and password do not match an account."


def _invalid(form: FlaskForm, template: str, status: int = 422, **context):
    db.session.rollback()
    return render_template(template, form=form, **context), status


def start_session(user: User) -> None:
    """Sign `user` in on a fresh session, bringing the guest cart along.

    The old session's contents (and so its CSRF token) are dropped: a session fixed or
    copied before sign-in is worth nothing after it.
    """
    guest_cart = cart_service.current_cart()
    session.clear()
    login_user(user)
    account_cart, notices = service.record_login(user, guest_cart)
    cart_service.remember_count(account_cart)
    for notice in notices:
        flash(notice, "notice")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegisterForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _invalid(form, "accounts/register.html", status)
    # The same page whether or not the address already has an account (the inbox is
    # told which), so the form does not reveal who has an account here.
    service.register(form.email.data, form.password.data)
    db.session.commit()
    return render_template("accounts/register_sent.html", email=form.email.data)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    throttle.PER_ADDRESS,
    methods=["POST"],
    deduct_when=throttle.counts_as_failure,
    on_breach=throttle.refused,
)
@limiter.limit(
    throttle.PER_ADDRESS_AND_ACCOUNT,
    methods=["POST"],
    key_func=throttle.account_and_address_key,
    deduct_when=throttle.counts_as_failure,
    on_breach=throttle.refused,
)
@limiter.limit(
    throttle.PER_ACCOUNT,
    methods=["POST"],
    key_func=throttle.account_key,
    deduct_when=throttle.counts_as_failure,
    exempt_when=throttle.is_known_device,
    on_breach=throttle.refused,
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
    start_session(user)
    db.session.commit()
    flash("You are signed in.", "success")
    response = redirect(target, 303)
    throttle.remember_device(response, user.email)
    return response


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        service.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("core.home"), 303)


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():
    form = PasswordChangeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid(form, "accounts/profile.html")
        user = current_user._get_current_object()
        try:
            service.change_password(user, form.current.data, form.password.data)
        except ShopError as error:
            form.current.errors.append(error.message)
            return _invalid(form, "accounts/profile.html", error.status)
        db.session.commit()
        login_user(user)  # this browser stays signed in under the new session version
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
    except ShopError as error:  # used, expired or forged: say which, offer a new link
        return render_template(
            "accounts/reset_invalid.html", message=error.message, form=ResetRequestForm()
        ), error.status
    form = ResetForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid(form, "accounts/reset_form.html")
        service.reset_password(user, form.password.data)
        db.session.commit()
        flash("Your password was changed. Sign in with the new one.", "success")
        response = redirect(url_for("accounts.login"), 303)
        # The link came to the owner's inbox: this browser is theirs from now on.
        throttle.remember_device(response, user.email)
        return response
    return render_template("accounts/reset_form.html", form=form)
