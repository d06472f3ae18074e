"""Back office for the help and legal pages: `/staff/help-pages/` lists the fixed set,
`/staff/help-pages/<slug>` edits one (validated, audited through `save_audited`)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from shop.accounts.emails import parse_email
from shop.errors import ShopError
from shop.extensions import db
from shop.help.models import HelpPage
from shop.help.pages import BY_SLUG, PAGES
from shop.staff.base import bp, menu_item
from shop.staff.content.forms import clean_body
from shop.staff.fields import add_error, clean
from shop.staff.saving import Tracked, save_audited

menu_item(26, "staff.help_pages", "Help pages")

FIELDS = (
    "title",
    "summary",
    "body",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "contact_address",
)
PHONE_RULE = Regexp(
    r"^\+?[0-9][0-9 ()-]{6,22}[0-9]$",
    message="Write a phone number with digits, spaces and hyphens, e.g. +91 80 4000 1234.",
)


class HelpPageForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("Enter a title."), Length(max=200)], filters=[clean]
    )
    summary = StringField(
        "Summary",
        validators=[Length(max=300)],
        filters=[clean],
        description="One or two sentences, shown under the title and to search engines.",
    )
    body = TextAreaField(
        "Text (Markdown)",
        validators=[DataRequired("Enter the page's text."), Length(max=30000)],
        filters=[clean_body],
        render_kw={"rows": 18},
    )
    contact_name = StringField("Name", validators=[Length(max=200)], filters=[clean])
    contact_role = StringField(
        "Role", validators=[Length(max=200)], filters=[clean], description="e.g. Grievance officer"
    )
    contact_email = StringField("E-mail", validators=[Length(max=320)], filters=[clean])
    contact_phone = StringField(
        "Phone", validators=[Optional(), Length(max=30), PHONE_RULE], filters=[clean]
    )
    contact_address = TextAreaField(
        "Postal address", validators=[Length(max=1000)], filters=[clean], render_kw={"rows": 3}
    )

    def values(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in FIELDS}


def _state(page: HelpPage) -> dict[str, str]:
    return {"slug": page.slug, **{name: getattr(page, name) for name in FIELDS}}


def _check_contact(form: HelpPageForm, needs_contact: bool) -> bool:
    """The contact and grievance pages must name a person with an e-mail and a phone."""
    ok = True
    if form.contact_email.data:
        try:
            form.contact_email.data = parse_email(form.contact_email.data)
        except ShopError as error:
            add_error(form.contact_email, error.message)
            ok = False
    if needs_contact:
        for field, message in (
            (form.contact_name, "Name the person customers can write to."),
            (form.contact_email, "Give an e-mail address for complaints."),
            (form.contact_phone, "Give a phone number for complaints."),
        ):
            if not field.data and not field.errors:
                add_error(field, message)
                ok = False
    return ok


def _page_or_404(slug: str) -> HelpPage | None:
    """The stored page; None when it is one of the set but not written yet."""
    if slug not in BY_SLUG:
        abort(404, description="There is no such help page.")
    return db.session.scalar(select(HelpPage).where(HelpPage.slug == slug))


@bp.get("/help-pages/")
def help_pages():
    rows = {p.slug: p for p in db.session.scalars(select(HelpPage))}
    return render_template(
        "help/staff_list.html", entries=[(spec, rows.get(spec.slug)) for spec in PAGES]
    )


@bp.route("/help-pages/<slug>", methods=["GET", "POST"])
def help_page_edit(slug: str):
    """Edit a page of the set; saving one not written yet creates it."""
    page = _page_or_404(slug)
    spec = BY_SLUG[slug]
    form = HelpPageForm(obj=page if request.method == "GET" else None)
    if page is None and request.method == "GET":
        form.title.data = spec.label

    def show(status: int = 200):
        if status >= 400:
            db.session.rollback()
        return render_template("help/staff_form.html", form=form, page=page, spec=spec), status

    valid = form.validate_on_submit()
    if request.method == "POST" and not (_check_contact(form, spec.needs_contact) and valid):
        return show(422)
    if not valid:
        return show()
    before = _state(page) if page is not None else None
    if page is None:
        page = HelpPage(slug=slug)
        db.session.add(page)
    for name, value in form.values().items():
        setattr(page, name, value)
    tracked = Tracked("help_page", page, before, _state, lambda p, _: f"{p.title} ({p.slug})")
    refused = save_audited(tracked, saved=f"Saved “{page.title}”.", conflict=lambda: show(409))
    return refused or redirect(url_for("staff.help_page_edit", slug=slug), 303)
