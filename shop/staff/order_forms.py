"""The order screen's forms: ship or deliver, refund (with its one-time id), clear review."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, StopValidation

from shop.pricing.money import parse_rupees


class MoveForm(FlaskForm):
    """Mark shipped or delivered, with an optional note (a courier, a tracking number)."""

    note = StringField(
        "Note for the timeline (optional)",
        validators=[Optional(), Length(max=500, message="Keep the note under 500 characters.")],
    )


class ClearReviewForm(FlaskForm):
    review_note = TextAreaField(
        "What did you check?",
        validators=[
            DataRequired("Say what you checked before clearing the flag."),
            Length(max=500, message="Keep the note under 500 characters."),
        ],
    )


def _amount_in_rupees(form, field) -> None:
    """Read the amount into `field.paise`; zero, negative and non-numbers are refused."""
    text = (field.data or "").strip()
    if text.startswith("-"):
        raise StopValidation("A refund cannot be negative.")
    try:
        field.paise = parse_rupees(text)
    except ValueError:
        raise StopValidation("Write the amount in rupees, such as 199 or 49.50.") from None
    if field.paise <= 0:
        raise StopValidation("The refund must be more than ₹0.")


class RefundForm(FlaskForm):
    amount = StringField(
        "Amount to refund (₹)",
        validators=[DataRequired("Enter the amount to refund, in rupees."), _amount_in_rupees],
    )
    reason = StringField(
        "Reason",
        validators=[
            DataRequired("Say why the order is being refunded."),
            Length(max=250, message="Keep the reason under 250 characters."),
        ],
    )
    # A one-time token made when the form is drawn: it becomes the refund's idempotency
    # key, so a double-clicked or resubmitted form refunds once.
    request_id = HiddenField(
        validators=[
            DataRequired("This form is out of date: reload the page and try again."),
            Regexp(
                r"^[A-Za-z0-9_-]{16,64}$",
                message="This form is out of date: reload the page and try again.",
            ),
        ]
    )


def fresh_refund_form() -> RefundForm:
    form = RefundForm(formdata=None)
    form.request_id.data = secrets.token_urlsafe(16)
    return form
