"""The staff ship form: a courier from the one list of carriers and its tracking number."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from shop.delivery.rules import CARRIERS, TRACKING_RE


class ShipForm(FlaskForm):
    carrier = SelectField(
        "Courier",
        choices=[
            SelectChoice("", "Choose…"),
            *(SelectChoice(code, name) for code, (name, _) in CARRIERS.items()),
        ],
        validators=[DataRequired("Choose the courier.")],
        validate_choice=True,
    )
    tracking_number = StringField(
        "Tracking (AWB) number",
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired("Enter the tracking (AWB) number."),
            Regexp(
                TRACKING_RE,
                message="A tracking number is 4 to 40 letters, digits or hyphens, "
                "as printed on the label.",
            ),
        ],
    )
    note = StringField(
        "Note for the timeline (optional)",
        validators=[Optional(), Length(max=500, message="Keep the note under 500 characters.")],
    )
