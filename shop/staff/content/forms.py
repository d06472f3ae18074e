"""The article and doctor forms, with their choices loaded from the database."""

from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from shop.content.models import Article, Condition, Doctor
from shop.content.rendering import SLUG_PATTERN
from shop.extensions import db
from shop.localtime import shop_today
from shop.staff.fields import MULTI_HINT, clean

MAX_RELATED = 50
SLUG_RULE = Regexp(
    rf"^{SLUG_PATTERN}\Z",
    message="Use lower-case letters, digits and single hyphens, such as muscle-cramps.",
)
NONE_CHOICE = SelectChoice("", "— none —")
ARTICLE_FIELDS = (
    "slug",
    "title",
    "summary",
    "condition_id",
    "author",
    "reviewer_id",
    "last_reviewed",
    "body",
)
DOCTOR_FIELDS = ("slug", "name", "specialty", "years_experience", "bio", "active")


def clean_body(value):
    """Keep the Markdown exactly as typed, but with plain newlines and without NULs.

    Not trimmed, so saving an unchanged article compares equal to what is stored.
    """
    if not isinstance(value, str):
        return value
    return value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _optional_id(value) -> int | None:
    """Coerce a select's value to an id; the empty choice means "none"."""
    if value in (None, "", "None"):
        return None
    return int(value)


def today_in_india() -> date:
    """Today on the shop's calendar (`SHOP_TIMEZONE`, India by default).

    A last-reviewed date is "in the future" only once it is after today where the shop
    is, so a reviewer there is never refused today's date.
    """
    return shop_today()


def split_slugs(values) -> list[str]:
    """Slugs typed into one or more boxes, split on commas and spaces, repeats dropped."""
    words = (w for value in values for w in re.split(r"[\s,]+", value or "") if w)
    return list(dict.fromkeys(words))


def _number(text: str) -> bool:
    """A plain id (ASCII digits, small enough for an integer column)."""
    return text.isascii() and text.isdigit() and len(text) < 10


class ArticleSlugsField(StringField):
    """Articles named by slug (the picker fills it); `data` is their ids, in that order.

    A number that names no slug but an article's id is taken as that article, so forms
    posted by the older multi-select keep working.
    """

    own_id: int | None = None

    def process_formdata(self, valuelist) -> None:
        self.typed = split_slugs(valuelist)
        self.data = []

    def process_data(self, value) -> None:
        self.typed = list(value or [])
        self.data = []

    def _value(self) -> str:
        return ", ".join(getattr(self, "typed", []))

    def pre_validate(self, form) -> None:
        if len(self.typed) > MAX_RELATED:
            raise ValidationError(f"Name at most {MAX_RELATED} related articles.")
        rows = db.session.execute(
            select(Article.slug, Article.id).where(Article.slug.in_(self.typed))
        )
        by_slug = {slug: article_id for slug, article_id in rows}
        numbers = [int(t) for t in self.typed if t not in by_slug and _number(t)]
        by_id = set(db.session.scalars(select(Article.id).where(Article.id.in_(numbers))))
        unknown = [
            t for t in self.typed if t not in by_slug and not (_number(t) and int(t) in by_id)
        ]
        if unknown:
            raise ValidationError("No article has the slug: " + ", ".join(unknown) + ".")
        ids = [by_slug[t] if t in by_slug else int(t) for t in self.typed]
        if self.own_id is not None and self.own_id in ids:
            raise ValidationError("An article cannot be its own related article.")
        self.data = list(dict.fromkeys(ids))


class ArticleForm(FlaskForm):
    slug = StringField(
        "Slug",
        validators=[DataRequired("Enter a slug."), Length(max=160), SLUG_RULE],
        filters=[clean],
        description="The article's address: /articles/<slug>.",
    )
    title = StringField(
        "Title", validators=[DataRequired("Enter a title."), Length(max=250)], filters=[clean]
    )
    summary = TextAreaField(
        "Summary",
        validators=[Length(max=1000)],
        filters=[clean],
        description="One or two sentences, shown under the title and in search results.",
        render_kw={"rows": 3},
    )
    condition_id = SelectField("Condition", coerce=_optional_id)
    author = StringField("Author", validators=[Length(max=200)], filters=[clean])
    reviewer_id = SelectField("Medical reviewer", coerce=_optional_id)
    last_reviewed = DateField(
        "Last reviewed",
        validators=[Optional()],
        description="The date the reviewer last checked the article; not in the future.",
    )
    related = ArticleSlugsField(
        "Related articles (Read more)",
        description="Article slugs, separated by commas, such as muscle-cramps, back-pain.",
    )
    body = TextAreaField(
        "Body (Markdown)",
        filters=[clean_body],
        description=(
            "## for sections, :::warning … ::: for a red-flag box, [[product:slug]] for a "
            "product card, [[article:slug]] for a link to another article."
        ),
        render_kw={"class": "markdown-editor", "rows": 30, "spellcheck": "true"},
    )

    def validate_last_reviewed(self, field) -> None:
        if field.data and field.data > today_in_india():
            raise ValidationError("The last-reviewed date cannot be in the future.")

    def values(self) -> dict:
        """Plain values for the content service."""
        return {name: self[name].data for name in ARTICLE_FIELDS} | {
            "related": list(self.related.data or [])
        }


def condition_choices() -> list[SelectChoice]:
    conditions = db.session.scalars(select(Condition).order_by(Condition.name))
    return [SelectChoice(c.id, c.name) for c in conditions]


def article_form(article: Article | None, *, formdata=True) -> ArticleForm:
    """The article form, filled from the request on POST, with its choices loaded."""
    data = None
    if article is not None:
        data = {name: getattr(article, name) for name in ARTICLE_FIELDS}
        data["related"] = [a.slug for a in article.related]
    form = ArticleForm(data=data) if formdata else ArticleForm(formdata=None, data=data)
    form.related.own_id = article.id if article is not None else None
    form.condition_id.choices = [NONE_CHOICE] + condition_choices()
    form.reviewer_id.choices = [NONE_CHOICE] + [
        SelectChoice(d.id, d.name if d.active else f"{d.name} (inactive)")
        for d in db.session.scalars(select(Doctor).order_by(Doctor.name))
    ]
    return form


class DoctorForm(FlaskForm):
    slug = StringField(
        "Slug",
        validators=[DataRequired("Enter a slug."), Length(max=120), SLUG_RULE],
        filters=[clean],
        description="The profile's address: /doctors/<slug>.",
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Enter the doctor's name."), Length(max=200)],
        filters=[clean],
    )
    specialty = StringField(
        "Specialty",
        validators=[DataRequired("Enter a specialty."), Length(max=200)],
        filters=[clean],
    )
    years_experience = IntegerField(
        "Years of experience",
        validators=[
            InputRequired("Enter the years of experience."),
            NumberRange(0, 70, "Years of experience must be between 0 and 70."),
        ],
    )
    bio = TextAreaField(
        "Short bio", validators=[Length(max=4000)], filters=[clean], render_kw={"rows": 5}
    )
    active = BooleanField("Active (shown on the shop)", default=True)
    conditions = SelectMultipleField(
        "Conditions", coerce=int, description=MULTI_HINT, render_kw={"size": 6}
    )

    def values(self) -> dict:
        """Plain values for the content service."""
        return {name: self[name].data for name in DOCTOR_FIELDS} | {
            "conditions": list(self.conditions.data or [])
        }


def doctor_form(doctor: Doctor | None) -> DoctorForm:
    data = None
    if doctor is not None:
        data = {name: getattr(doctor, name) for name in DOCTOR_FIELDS}
        data["conditions"] = [c.id for c in doctor.conditions]
    form = DoctorForm(data=data)
    form.conditions.choices = condition_choices()
    return form
