"""Account forms. Field names follow SPEC §4: email, password, confirm."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from shop.accounts.emails import ValidEmail
from shop.accounts.passwords import MAX_LENGTH, password_problem


def _strong(form, field) -> None:
    email = form.email.data if hasattr(form, "email") else ""
    problem = password_problem(field.data or "", email or "")
    if problem:
        raise ValidationError(problem)


def _email_field() -> EmailField:
    return EmailField(
        "E-mail", validators=[DataRequired("Enter your e-mail address."), ValidEmail()]
    )


def _new_password(label: str) -> PasswordField:
    return PasswordField(label, validators=[DataRequired("Choose a password."), _strong])


def _confirm(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Repeat the password."),
            EqualTo("password", "The two passwords do not match."),
        ],
    )


class RegisterForm(FlaskForm):
    email = _email_field()
    password = _new_password("Password")
    confirm = _confirm("Repeat the password")


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)]
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    password = _new_password("New password")
    confirm = _confirm("Repeat the new password")


class ResetRequestForm(FlaskForm):
    email = _email_field()


class ResetForm(FlaskForm):
    password = _new_password("New password")
    confirm = _confirm("Repeat the new password")
