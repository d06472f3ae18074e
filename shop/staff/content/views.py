"""Back office screens for articles (editor, preview, publishing) and doctors.

The preview renders the body exactly as the public page would (live product cards
included) and writes nothing.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from shop.content.body import render_body
from shop.content.models import Article, Doctor
from shop.extensions import db
from shop.listing import choice_arg, query_arg
from shop.staff.audit import audit
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.content import service
from shop.staff.content.forms import ArticleForm, DoctorForm, article_form, doctor_form
from shop.staff.lists import staff_page
from shop.staff.saving import save_audited

menu_item(20, "staff.articles", "Articles")
menu_item(22, "staff.doctors", "Doctors")

STATUSES = ("all", "published", "draft")


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
    form = article_form(article)
    if request.method == "POST" and request.form.get("action") == "preview":
        return _preview(form, article)
    if not form.validate_on_submit():
        return _article_page(form, article, 422 if request.method == "POST" else 200)
    if service.slug_taken(Article, form.slug.data, article):
        form.slug.errors.append("Another article already uses this slug.")
    form.body.errors.extend(service.embed_problems(form.body.data, form.slug.data))
    if any(field.errors for field in form):
        return _article_page(form, article, 422)
    tracked = service.apply_article(article, form.values())

    def conflict():  # another editor took the slug a moment ago
        form.slug.errors.append("Another article already uses this slug.")
        return _article_page(form, article, 422)

    saved = f"Saved “{form.title.data}”."
    refused = save_audited(tracked, saved=saved, conflict=conflict)
    return refused or redirect(url_for("staff.article_edit", article_id=tracked.obj.id), 303)


def _preview(form: ArticleForm, article: Article | None):
    """Render the submitted body as the public page would; nothing is written."""
    body = form.body.data or ""
    page_slug = form.slug.data or (article.slug if article is not None else "preview")
    rendered = render_body(SimpleNamespace(body=body, slug=page_slug))
    problems = service.embed_problems(body, form.slug.data)
    notes = service.hidden_embeds(body)
    db.session.rollback()
    return _article_page(
        form, article, 200, preview=rendered, preview_problems=problems, preview_notes=notes
    )


def _set_published(article_id: int, published: bool):
    article = get_or_404(Article, article_id)
    back = redirect(url_for("staff.article_edit", article_id=article.id), 303)
    if article.published == published:
        already = "published" if published else "a draft"
        flash(f"That article is already {already}.", "notice")
        return back
    if published:
        problems = service.embed_problems(article.body, article.slug)
        if problems:
            form = article_form(article, formdata=False)
            form.form_errors.append("This article cannot be published until its body is fixed.")
            form.body.errors = list(problems)
            return _article_page(form, article, 422)
    before, after = service.set_published(article, published)
    action = "publish" if published else "unpublish"
    audit(
        action,
        "article",
        article.id,
        before=before,
        after=after,
        summary=f"{action.capitalize()}ed {article.slug}",
    )
    db.session.commit()
    if published:
        flash(f"“{article.title}” is live at /articles/{article.slug}.", "success")
    else:
        flash(f"“{article.title}” is now a draft and no longer on the shop.", "success")
    return back


@bp.post("/articles/<int:article_id>/publish")
def article_publish(article_id: int):
    return _set_published(article_id, True)


@bp.post("/articles/<int:article_id>/unpublish")
def article_unpublish(article_id: int):
    return _set_published(article_id, False)


# ----------------------------------------------------------------------------- doctors


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
    form = doctor_form(doctor)
    if not form.validate_on_submit():
        return _doctor_page(form, doctor, 422 if request.method == "POST" else 200)
    if service.slug_taken(Doctor, form.slug.data, doctor):
        form.slug.errors.append("Another doctor already uses this slug.")
        return _doctor_page(form, doctor, 422)
    tracked = service.apply_doctor(doctor, form.values())

    def conflict():  # another editor took the slug a moment ago
        form.slug.errors.append("Another doctor already uses this slug.")
        return _doctor_page(form, doctor, 422)

    refused = save_audited(tracked, saved=f"Saved {form.name.data}.", conflict=conflict)
    return refused or redirect(url_for("staff.doctor_edit", doctor_id=tracked.obj.id), 303)
