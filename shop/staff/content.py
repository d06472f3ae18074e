"""Back office: articles (Markdown editor, server-side preview, embed checks) and doctors.

An article body may name products and other articles with `[[product:slug]]` and
`[[article:slug]]`. Saving a body that names something that does not exist is refused,
so a typo never reaches readers as a silently missing card; the preview renders the body
exactly as the public page would (live product cards included) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta, timezone
from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
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

from shop.catalog.models import Product
from shop.content.models import Article, Condition, Doctor
from shop.content.rendering import SLUG_PATTERN, find_embeds, validate_embeds
from shop.content.views import render_body
from shop.database import utcnow
from shop.extensions import db
from shop.listing import choice_arg, query_arg
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.lists import staff_page

menu_item(20, "staff.articles", "Articles")
menu_item(22, "staff.doctors", "Doctors")

# Reviewers work to the Indian calendar: a date is "in the future" only once it is after
# today in India (UTC+5:30, no daylight saving), so nobody there is refused today's date.
INDIA = timezone(timedelta(hours=5, minutes=30), "IST")

SLUG_RULE = Regexp(
    rf"^{SLUG_PATTERN}\Z",
    message="Use lower-case letters, digits and single hyphens, such as muscle-cramps.",
)
STATUSES = ("all", "published", "draft")
NONE_CHOICE = SelectChoice("", "— none —")
MULTI_HINT = "Hold Ctrl (⌘ on a Mac) to choose more than one."


def _clean(value):
    """Trim typed text and drop NUL characters (PostgreSQL cannot store them)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def _clean_body(value):
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


def _today_in_india() -> date:
    return utcnow().astimezone(INDIA).date()


def _slug_taken(model, slug: str, current) -> bool:
    """Whether another row of `model` (not `current`) already has this slug."""
    stmt = select(model.id).where(model.slug == slug)
    if current is not None:
        stmt = stmt.where(model.id != current.id)
    return db.session.scalar(stmt) is not None


# ---------------------------------------------------------------------------- articles


class ArticleForm(FlaskForm):
    slug = StringField(
        "Slug",
        validators=[DataRequired("Enter a slug."), Length(max=160), SLUG_RULE],
        filters=[_clean],
        description="The article's address: /articles/<slug>.",
    )
    title = StringField(
        "Title", validators=[DataRequired("Enter a title."), Length(max=250)], filters=[_clean]
    )
    summary = TextAreaField(
        "Summary",
        validators=[Length(max=1000)],
        filters=[_clean],
        description="One or two sentences, shown under the title and in search results.",
        render_kw={"rows": 3},
    )
    condition_id = SelectField("Condition", coerce=_optional_id)
    author = StringField("Author", validators=[Length(max=200)], filters=[_clean])
    reviewer_id = SelectField("Medical reviewer", coerce=_optional_id)
    last_reviewed = DateField(
        "Last reviewed",
        validators=[Optional()],
        description="The date the reviewer last checked the article; not in the future.",
    )
    related = SelectMultipleField(
        "Related articles (Read more)",
        coerce=int,
        description=MULTI_HINT,
        render_kw={"size": 8},
    )
    body = TextAreaField(
        "Body (Markdown)",
        filters=[_clean_body],
        description=(
            "## for sections, :::warning … ::: for a red-flag box, [[product:slug]] for a "
            "product card, [[article:slug]] for a link to another article."
        ),
        render_kw={"class": "markdown-editor", "rows": 30, "spellcheck": "true"},
    )

    def validate_last_reviewed(self, field) -> None:
        if field.data and field.data > _today_in_india():
            raise ValidationError("The last-reviewed date cannot be in the future.")


def _article_data(article: Article) -> dict:
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "condition_id": article.condition_id,
        "author": article.author,
        "reviewer_id": article.reviewer_id,
        "last_reviewed": article.last_reviewed,
        "related": [a.id for a in article.related],
        "body": article.body,
    }


def _condition_choices() -> list[SelectChoice]:
    conditions = db.session.scalars(select(Condition).order_by(Condition.name))
    return [SelectChoice(c.id, c.name) for c in conditions]


def _article_form(article: Article | None, *, formdata=True) -> ArticleForm:
    """The article form, filled from the request on POST, with its choices loaded."""
    data = _article_data(article) if article is not None else None
    form = ArticleForm(data=data) if formdata else ArticleForm(formdata=None, data=data)
    form.condition_id.choices = [NONE_CHOICE] + _condition_choices()
    form.reviewer_id.choices = [NONE_CHOICE] + [
        SelectChoice(d.id, d.name if d.active else f"{d.name} (inactive)")
        for d in db.session.scalars(select(Doctor).order_by(Doctor.name))
    ]
    others = select(Article.id, Article.title, Article.slug).order_by(Article.title)
    if article is not None:
        others = others.where(Article.id != article.id)
    form.related.choices = [
        SelectChoice(i, f"{title} ({slug})") for i, title, slug in db.session.execute(others)
    ]
    return form


def _article_state(article: Article) -> dict:
    return snapshot(article) | {"related": sorted(a.slug for a in article.related)}


def _known_products(slugs: Collection[str]) -> set[str]:
    """Existing product slugs among `slugs`, active or not (an inactive one may return)."""
    return set(db.session.scalars(select(Product.slug).where(Product.slug.in_(list(slugs)))))


def _known_articles(own_slug: str | None):
    def known(slugs: Collection[str]) -> set[str]:
        found = set(db.session.scalars(select(Article.slug).where(Article.slug.in_(list(slugs)))))
        return found | ({own_slug} & set(slugs) if own_slug else set())

    return known


def embed_problems(body: str, own_slug: str | None) -> list[str]:
    """One message per unknown or malformed embed in `body` (drafts count as known)."""
    return validate_embeds(body or "", _known_products, _known_articles(own_slug))


def _hidden_embeds(body: str) -> list[str]:
    """Embeds that exist but will not show on the public page yet, for the preview."""
    embeds = find_embeds(body or "")
    notes = []
    if embeds.products:
        inactive = db.session.scalars(
            select(Product.slug).where(Product.slug.in_(embeds.products), Product.active.is_(False))
        ).all()
        notes += [f'Product "{slug}" is inactive: its card is not shown.' for slug in inactive]
    if embeds.articles:
        drafts = db.session.scalars(
            select(Article.slug).where(
                Article.slug.in_(embeds.articles), Article.published.is_(False)
            )
        ).all()
        notes += [f'Article "{slug}" is a draft: its link is not shown.' for slug in drafts]
    return notes


def _article_page(form: ArticleForm, article: Article | None, status: int = 200, **extra):
    if status >= 400:
        db.session.rollback()
    return render_template(
        "staff/content/article_form.html", form=form, article=article, **extra
    ), status


@bp.get("/articles/")
def articles():
    status = choice_arg("status", STATUSES, "all")
    stmt = select(Article).options(joinedload(Article.condition))
    if status != "all":
        stmt = stmt.where(Article.published.is_(status == "published"))
    stmt = stmt.order_by(Article.updated_at.desc(), Article.id.desc())
    page = staff_page(stmt, search_columns=(Article.title, Article.slug))
    return render_template(
        "staff/content/articles.html",
        page=page,
        q=query_arg("q"),
        status=status,
        statuses=STATUSES,
    )


@bp.route("/articles/new", methods=["GET", "POST"])
def article_new():
    return _edit_article(None)


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
def article_edit(article_id: int):
    return _edit_article(get_or_404(Article, article_id))


def _edit_article(article: Article | None):
    form = _article_form(article)
    if request.method == "POST" and request.form.get("action") == "preview":
        return _preview(form, article)
    if not form.validate_on_submit():
        return _article_page(form, article, 422 if request.method == "POST" else 200)

    if _slug_taken(Article, form.slug.data, article):
        form.slug.errors.append("Another article already uses this slug.")
    form.body.errors.extend(embed_problems(form.body.data, form.slug.data))
    if any(field.errors for field in form):
        return _article_page(form, article, 422)

    before = _article_state(article) if article is not None else None
    # Loaded before any change, so no autoflush runs outside the try below.
    related = list(
        db.session.scalars(select(Article).where(Article.id.in_(form.related.data or [])))
    )
    if article is None:
        article = Article(published=False)
        db.session.add(article)
    article.slug = form.slug.data
    article.title = form.title.data
    article.summary = form.summary.data or ""
    article.condition_id = form.condition_id.data
    article.author = form.author.data or ""
    article.reviewer_id = form.reviewer_id.data
    article.last_reviewed = form.last_reviewed.data
    article.body = form.body.data or ""
    article.related = related
    try:
        db.session.flush()
    except IntegrityError:  # another editor took the slug a moment ago
        form.slug.errors.append("Another article already uses this slug.")
        return _article_page(form, None if before is None else article, 422)

    after = _article_state(article)
    if before == after:
        flash("Nothing changed.", "notice")
    else:
        audit(
            "create" if before is None else "update",
            "article",
            article.id,
            before=before,
            after=after,
            summary=f"{article.title} ({article.slug})",
        )
        db.session.commit()
        flash(f"Saved “{article.title}”.", "success")
    return redirect(url_for("staff.article_edit", article_id=article.id), 303)


def _preview(form: ArticleForm, article: Article | None):
    """Render the submitted body as the public page would; nothing is written."""
    body = form.body.data or ""
    page_slug = form.slug.data or (article.slug if article is not None else "preview")
    rendered = render_body(SimpleNamespace(body=body, slug=page_slug))
    problems = embed_problems(body, form.slug.data)
    notes = _hidden_embeds(body)
    db.session.rollback()
    return _article_page(
        form, article, 200, preview=rendered, preview_problems=problems, preview_notes=notes
    )


def _publication(article: Article) -> dict:
    return {"published": article.published, "published_at": snapshot(article)["published_at"]}


@bp.post("/articles/<int:article_id>/publish")
def article_publish(article_id: int):
    article = get_or_404(Article, article_id)
    if article.published:
        flash("That article is already published.", "notice")
        return redirect(url_for("staff.article_edit", article_id=article.id), 303)
    problems = embed_problems(article.body, article.slug)
    if problems:
        form = _article_form(article, formdata=False)
        form.form_errors.append("This article cannot be published until its body is fixed.")
        form.body.errors = list(problems)
        return _article_page(form, article, 422)
    before = _publication(article)
    article.published = True
    if article.published_at is None:  # the first publication date stays for good
        article.published_at = utcnow()
    audit(
        "publish",
        "article",
        article.id,
        before=before,
        after=_publication(article),
        summary=f"Published {article.slug}",
    )
    db.session.commit()
    flash(f"“{article.title}” is live at /articles/{article.slug}.", "success")
    return redirect(url_for("staff.article_edit", article_id=article.id), 303)


@bp.post("/articles/<int:article_id>/unpublish")
def article_unpublish(article_id: int):
    article = get_or_404(Article, article_id)
    if not article.published:
        flash("That article is already a draft.", "notice")
        return redirect(url_for("staff.article_edit", article_id=article.id), 303)
    before = _publication(article)
    article.published = False
    audit(
        "unpublish",
        "article",
        article.id,
        before=before,
        after=_publication(article),
        summary=f"Unpublished {article.slug}",
    )
    db.session.commit()
    flash(f"“{article.title}” is now a draft and no longer on the shop.", "success")
    return redirect(url_for("staff.article_edit", article_id=article.id), 303)


# ----------------------------------------------------------------------------- doctors


class DoctorForm(FlaskForm):
    slug = StringField(
        "Slug",
        validators=[DataRequired("Enter a slug."), Length(max=120), SLUG_RULE],
        filters=[_clean],
        description="The profile's address: /doctors/<slug>.",
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Enter the doctor's name."), Length(max=200)],
        filters=[_clean],
    )
    specialty = StringField(
        "Specialty",
        validators=[DataRequired("Enter a specialty."), Length(max=200)],
        filters=[_clean],
    )
    years_experience = IntegerField(
        "Years of experience",
        validators=[
            InputRequired("Enter the years of experience."),
            NumberRange(0, 70, "Years of experience must be between 0 and 70."),
        ],
    )
    bio = TextAreaField(
        "Short bio", validators=[Length(max=4000)], filters=[_clean], render_kw={"rows": 5}
    )
    active = BooleanField("Active (shown on the shop)", default=True)
    conditions = SelectMultipleField(
        "Conditions", coerce=int, description=MULTI_HINT, render_kw={"size": 6}
    )


def _doctor_form(doctor: Doctor | None) -> DoctorForm:
    data = None
    if doctor is not None:
        data = {
            "slug": doctor.slug,
            "name": doctor.name,
            "specialty": doctor.specialty,
            "years_experience": doctor.years_experience,
            "bio": doctor.bio,
            "active": doctor.active,
            "conditions": [c.id for c in doctor.conditions],
        }
    form = DoctorForm(data=data)
    form.conditions.choices = _condition_choices()
    return form


def _doctor_state(doctor: Doctor) -> dict:
    return snapshot(doctor) | {"conditions": sorted(c.slug for c in doctor.conditions)}


def _doctor_page(form: DoctorForm, doctor: Doctor | None, status: int = 200):
    if status >= 400:
        db.session.rollback()
    return render_template("staff/content/doctor_form.html", form=form, doctor=doctor), status


@bp.get("/doctors/")
def doctors():
    stmt = select(Doctor).options(selectinload(Doctor.conditions)).order_by(Doctor.name, Doctor.id)
    page = staff_page(stmt, search_columns=(Doctor.name, Doctor.slug, Doctor.specialty))
    return render_template("staff/content/doctors.html", page=page, q=query_arg("q"))


@bp.route("/doctors/new", methods=["GET", "POST"])
def doctor_new():
    return _edit_doctor(None)


@bp.route("/doctors/<int:doctor_id>", methods=["GET", "POST"])
def doctor_edit(doctor_id: int):
    return _edit_doctor(get_or_404(Doctor, doctor_id))


def _edit_doctor(doctor: Doctor | None):
    form = _doctor_form(doctor)
    if not form.validate_on_submit():
        return _doctor_page(form, doctor, 422 if request.method == "POST" else 200)
    if _slug_taken(Doctor, form.slug.data, doctor):
        form.slug.errors.append("Another doctor already uses this slug.")
        return _doctor_page(form, doctor, 422)

    before = _doctor_state(doctor) if doctor is not None else None
    conditions = list(  # loaded before any change: no autoflush outside the try below
        db.session.scalars(select(Condition).where(Condition.id.in_(form.conditions.data or [])))
    )
    if doctor is None:
        doctor = Doctor()
        db.session.add(doctor)
    doctor.slug = form.slug.data
    doctor.name = form.name.data
    doctor.specialty = form.specialty.data
    doctor.years_experience = form.years_experience.data
    doctor.bio = form.bio.data or ""
    doctor.active = form.active.data
    doctor.conditions = conditions
    try:
        db.session.flush()
    except IntegrityError:  # another editor took the slug a moment ago
        form.slug.errors.append("Another doctor already uses this slug.")
        return _doctor_page(form, None if before is None else doctor, 422)

    after = _doctor_state(doctor)
    if before == after:
        flash("Nothing changed.", "notice")
    else:
        audit(
            "create" if before is None else "update",
            "doctor",
            doctor.id,
            before=before,
            after=after,
            summary=f"{doctor.name} ({doctor.slug})",
        )
        db.session.commit()
        flash(f"Saved {doctor.name}.", "success")
    return redirect(url_for("staff.doctor_edit", doctor_id=doctor.id), 303)
