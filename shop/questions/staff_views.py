"""Back office: staff moderate answered questions at /staff/questions/ (SPEC §14).

Publishing sets the public wording (title, question, answer) — staff remove anything
that could identify the asker — and mails the asker the link once. Rejecting needs a
reason. Both are audited through the question service. The routes join the one staff
blueprint, so its guard (staff and admins only) covers them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shop.accounts.models import User
from shop.content.rendering import render_markdown
from shop.errors import ShopError
from shop.extensions import db
from shop.listing import choice_arg, query_arg
from shop.questions import service
from shop.questions.forms import PublishForm, RejectForm
from shop.questions.models import AGE_BANDS, STATUSES, Question, QuestionStatus
from shop.staff.audit import AuditEntry
from shop.staff.base import bp, menu_item
from shop.staff.lists import staff_page

menu_item(24, "staff.questions", "Questions")

LIST_STATUSES = ("answered", "open", "published", "rejected", "all")


@bp.get("/questions/")
def questions():
    status = choice_arg("status", LIST_STATUSES, "answered")
    stmt = select(Question).options(joinedload(Question.condition), joinedload(Question.doctor))
    if status != "all":
        stmt = stmt.where(Question.status == status)
    stmt = stmt.order_by(Question.emergency.desc(), Question.created_at, Question.id)
    page = staff_page(stmt, search_columns=(Question.body, Question.title))
    return render_template(
        "questions/staff/list.html",
        page=page,
        q=query_arg("q"),
        status=status,
        statuses=LIST_STATUSES,
    )


def _question(question_id: int) -> Question:
    try:
        return service.get_question(question_id)
    except ShopError as error:
        abort(error.status, description=error.message)


def _suggested_title(question: Question) -> str:
    first = " ".join(question.body.split())
    return first if len(first) <= 90 else first[:87].rsplit(" ", 1)[0] + "…"


def _detail(
    question: Question,
    *,
    publish_form: PublishForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
    **extra,
):
    db.session.rollback()
    if publish_form is None:
        publish_form = PublishForm(
            formdata=None,
            title=question.title or _suggested_title(question),
            question=question.public_body or question.body,
            answer=question.public_answer or question.answer,
        )
    history = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "question", AuditEntry.object_id == str(question.id))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(20)
    ).all()
    asker = db.session.get(User, question.user_id) if question.user_id else None
    return render_template(
        "questions/staff/detail.html",
        question=question,
        publish_form=publish_form,
        reject_form=reject_form or RejectForm(formdata=None),
        answer_html=Markup(render_markdown(question.answer)) if question.answer else None,
        history=history,
        asker=asker,
        age_bands=AGE_BANDS,
        statuses=STATUSES,
        **extra,
    ), status


@bp.get("/questions/<int:question_id>")
def question_detail(question_id: int):
    return _detail(_question(question_id))


@bp.post("/questions/<int:question_id>/publish")
def question_publish(question_id: int):
    question = _question(question_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _detail(question, publish_form=form, status=422)
    if request.form.get("action") == "preview":
        preview = Markup(render_markdown(form.answer.data))
        return _detail(question, publish_form=form, preview=preview)
    first_time = question.status == QuestionStatus.ANSWERED
    try:
        service.publish(
            question.id,
            title=form.title.data,
            body=form.question.data,
            answer_text=form.answer.data,
        )
    except ShopError as error:
        return _detail(question, publish_form=form, status=error.status, problem=error.message)
    db.session.commit()
    if first_time:
        flash(
            f"Question #{question.id} is published; the asker has been e-mailed the link.",
            "success",
        )
    else:
        flash(f"Saved the public wording of question #{question.id}.", "success")
    return redirect(url_for("staff.question_detail", question_id=question.id), 303)


@bp.post("/questions/<int:question_id>/reject")
def question_reject(question_id: int):
    question = _question(question_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _detail(question, reject_form=form, status=422)
    try:
        service.reject(question.id, form.reason.data)
    except ShopError as error:
        return _detail(question, reject_form=form, status=error.status, problem=error.message)
    db.session.commit()
    flash(f"Question #{question.id} is rejected.", "success")
    return redirect(url_for("staff.questions"), 303)
