"""Form pieces every back-office screen shares: text filters, slugs, rupees, errors.

Views parse the request with these; services only ever see the plain values they give.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, Form, StringField
from wtforms.validators import DataRequired, Length, Regexp, StopValidation, ValidationError

from shop.localtime import from_shop_time, shop_zone, to_shop_time
from shop.pricing.money import format_money, parse_rupees, rupees_text

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MESSAGE = "Use lower-case letters and digits, words joined by single hyphens: joint-oil."
MULTI_HINT = "Hold Ctrl (⌘ on a Mac) to choose more than one."
# Amount columns are 32-bit integers of paise; ten lakh rupees is far above any real
# discount or fee here and far below what the column can hold.
MAX_AMOUNT = 10_00_000 * 100


def clean(value):
    """Trim typed text and drop NUL characters (PostgreSQL cannot store them)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def strip(value):
    """Trim typed numbers, keeping any NUL so that the number's check refuses it."""
    return value.strip() if isinstance(value, str) else value


def add_error(target, message: str) -> None:
    """Add a message to a field (or a form's form-level errors) after validation."""
    if isinstance(target, FlaskForm | Form):
        target.form_errors.append(message)
    else:
        target.errors = [*target.errors, message]


def slug_field(description: str, *, max_length: int = 120, message: str = SLUG_MESSAGE):
    return StringField(
        "Slug",
        filters=[clean],
        description=description,
        validators=[
            DataRequired("Enter a slug."),
            Length(max=max_length),
            Regexp(SLUG_PATTERN, message=message),
        ],
    )


class RupeesField(StringField):
    """An amount typed in rupees ("49", "499.50", "₹1,299"); `data` is paise or None.

    Blank, whitespace-only or NUL-only input is "no amount": a required field (one with
    InputRequired or DataRequired) then answers with its message instead of letting
    None reach the database.
    """

    def __init__(self, *args, required_message: str = "Enter an amount in rupees.", **kwargs):
        super().__init__(*args, **kwargs)
        self.required_message = required_message

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        self.data = None
        if text:
            try:
                self.data = parse_rupees(text)
            except ValueError:
                raise ValueError(
                    "Enter an amount in rupees, such as 49 or 499.50 (at most two decimals)."
                ) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return rupees_text(self.data) if isinstance(self.data, int) else ""

    def pre_validate(self, form) -> None:
        typed = bool(self.raw_data and self.raw_data[0])  # empty: the validators' message
        if self.data is None and typed and self.flags.required and not self.process_errors:
            raise StopValidation(self.required_message)
        if isinstance(self.data, int) and self.data > MAX_AMOUNT:
            raise ValidationError(f"The amount can be at most {format_money(MAX_AMOUNT)}.")


class ShopTimeField(DateTimeLocalField):
    """A date and time typed on the shop's clock (`SHOP_TIMEZONE`); `data` is UTC or None.

    Stored values are shown back on the same clock, so an edit saved unchanged stays put.
    """

    FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", self.FORMATS)
        kwargs.setdefault(
            "invalid_value_message",
            "Enter a date and time such as 2026-12-31 18:30 (year-month-day hours:minutes).",
        )
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        super().process_formdata([valuelist[0].strip()])  # naive: tz is left unset
        self.data = from_shop_time(self.data)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if not self.data:
            return ""
        return to_shop_time(self.data).strftime(self.format[0])

    @property
    def zone_name(self) -> str:
        return shop_zone().key
