"""Forms for asking, answering and moderating. Field names follow SPEC §14."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from shop.accounts.emails import ValidEmail
from shop.questions import service
from shop.questions.models import AGE_BANDS


def _strip(value):
    """Trim, and count a line break as one character, as browsers do for `maxlength`."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _no_controls(form, field) -> None:
    if field.data and service.CONTROL_RE.search(field.data):
        raise ValidationError("This contains characters we cannot accept.")


def _text(label: str, low: int, high: int, what: str, rows: int = 8, **kwargs) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            DataRequired(f"Write the {what}."),
            _no_controls,
            Length(low, high, f"The {what} needs {low:,} to {high:,} characters."),
        ],
        filters=[_strip],
        render_kw={"rows": rows, "maxlength": high},
        **kwargs,
    )


class AskForm(FlaskForm):
    question = _text("Your question", service.QUESTION_MIN, service.QUESTION_MAX, "question")
    condition = SelectField("About", validate_choice=False, filters=[_strip])
    age = SelectField(
        "Age (optional)",
        choices=[SelectChoice("", "Prefer not to say")]
        + [SelectChoice(value, label) for value, label in AGE_BANDS.items()],
        validate_choice=False,
    )
    email = EmailField(
        "Your e-mail (never published)",
        validators=[Optional(), ValidEmail()],  # the accounts' validator: one rule everywhere
        filters=[_strip],
    )
    consent = BooleanField(
        "I agree that my question and its answer may be published without my name or "
        "e-mail address."
    )

    def validate_condition(self, field) -> None:
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choose a condition from the list, or leave it empty.")

    def validate_age(self, field) -> None:
        if field.data and field.data not in AGE_BANDS:
            raise ValidationError("Choose an age band from the list, or leave it empty.")

    def validate_consent(self, field) -> None:
        if not field.data:
            raise ValidationError(
                "Please agree that the question may be published without your details."
            )


class AnswerForm(FlaskForm):
    answer = _text(
        "Your answer (Markdown)",
        service.ANSWER_MIN,
        service.ANSWER_MAX,
        "answer",
        rows=14,
        description="Markdown: **bold**, lists, ## headings, links. Shown to readers after "
        "staff review.",
    )


class PublishForm(FlaskForm):
    title = StringField(
        "Public title",
        validators=[
            DataRequired("Write a short title."),
            _no_controls,
            Length(service.TITLE_MIN, service.TITLE_MAX, "The title needs 10 to 200 characters."),
        ],
        filters=[_strip],
        description="Shown as the page heading and in search results.",
    )
    question = _text(
        "Public wording of the question",
        service.QUESTION_MIN,
        service.QUESTION_MAX,
        "question",
        description="Remove names, places, phone numbers and anything else that could "
        "identify the asker.",
    )
    answer = _text(
        "Public wording of the answer (Markdown)",
        service.ANSWER_MIN,
        service.ANSWER_MAX,
        "answer",
        rows=14,
    )


class RejectForm(FlaskForm):
    reason = _text(
        "Reason",
        service.REASON_MIN,
        service.REASON_MAX,
        "reason",
        description="Recorded in the audit log; e-mailed to the asker unless the question "
        "was already published.",
    )
