"""Ask a doctor (`/ask`), the public questions (`/questions/<id>-<slug>`) and the doctors'
inbox (`/doctor/`). SPEC §14."""

from __future__ import annotations

import html
import re

import nh3
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from shop.accounts.guards import require_role
from shop.cache import cached_page
from shop.content import queries as content_queries
from shop.content.rendering import render_markdown
from shop.errors import ShopError
from shop.extensions import db, limiter
from shop.questions import service, triage
from shop.questions.forms import AnswerForm, AskForm
from shop.questions.models import AGE_BANDS, Question, QuestionStatus

bp = Blueprint("questions", __name__)
doctor_bp = Blueprint("doctor", __name__, url_prefix="/doctor")

EXPECTATION = "Doctors usually answer within 24 hours."
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# --- asking --------------------------------------------------------------------------------


def _asker_key() -> str:
    """Throttle by the e-mail the answer goes to (the account's, for signed-in askers)."""
    if current_user.is_authenticated:
        return "ask:" + current_user.email
    return "ask:" + (request.form.get("email") or "").strip().lower()[:320]


def _accepted(response) -> bool:
    """Only questions actually taken count against the per-e-mail limit."""
    return response.status_code == 303


def _ask_page(form: AskForm, status: int = 200):
    db.session.rollback()
    # Triage comes first: a refused form that mentions an emergency still says "call 112".
    signs = triage.emergency_signs(form.question.data or "") if status != 200 else []
    return render_template(
        "questions/ask.html",
        form=form,
        expectation=EXPECTATION,
        guest=_guest(),
        signs=signs,
        emergency_number=triage.EMERGENCY_NUMBER,
    ), status


@bp.errorhandler(429)
def too_many(error):
    """Throttled: say when to come back, and still answer an emergency on the spot."""
    question = request.form.get("question", "") if request.method == "POST" else ""
    signs = triage.emergency_signs(question[: service.QUESTION_MAX * 2])
    return render_template(
        "questions/throttled.html",
        signs=signs,
        emergency_number=triage.EMERGENCY_NUMBER,
        retry=error.description,
    ), 429


def _guest() -> bool:
    return not current_user.is_authenticated


@bp.route("/ask", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=_asker_key, deduct_when=_accepted)
def ask():
    form = AskForm()
    form.condition.choices = [SelectChoice("", "Not sure / something else")] + [
        SelectChoice(c.slug, c.name) for c in content_queries.all_conditions()
    ]
    if request.method == "GET":
        slug = request.args.get("condition", "")
        if slug in {choice.value for choice in form.condition.choices}:
            form.condition.data = slug
        return _ask_page(form)

    valid = form.validate_on_submit()
    if _guest() and not form.email.data and not form.email.errors:
        form.email.errors = [*form.email.errors, "Enter the e-mail address the answer goes to."]
        valid = False
    if not valid:
        return _ask_page(form, 422)
    try:
        asked = service.ask(
            form.question.data,
            email=form.email.data if _guest() else current_user.email,
            condition_slug=form.condition.data or None,
            age_band=form.age.data or None,
            consent=form.consent.data,
            user_id=None if _guest() else current_user.id,
        )
    except ShopError as error:
        form.form_errors.append(error.message)
        return _ask_page(form, error.status)
    db.session.commit()
    session["asked"] = {"id": asked.question_id, "signs": list(asked.signs)}
    return redirect(url_for("questions.sent"), 303)


@bp.get("/ask/sent")
def sent():
    """What the asker sees at once: the emergency message, or when to expect an answer."""
    asked = session.get("asked")
    if not isinstance(asked, dict):
        return redirect(url_for("questions.ask"))
    signs = [str(sign) for sign in asked.get("signs") or []]
    return render_template(
        "questions/sent.html",
        signs=signs,
        emergency_number=triage.EMERGENCY_NUMBER,
        expectation=EXPECTATION,
    )


# --- public questions ----------------------------------------------------------------------


def answer_html(question: Question) -> Markup:
    return Markup(render_markdown(question.public_answer))


def _structured_data(question: Question, url: str, answer: str) -> dict:
    """schema.org QAPage for search engines: one question, one accepted answer."""
    text = html.unescape(nh3.clean(answer, tags=set())).strip()
    doctor = question.doctor
    base = current_app.config["SHOP_BASE_URL"]
    accepted = {
        "@type": "Answer",
        "text": text,
        "url": url,
        "upvoteCount": 0,
    }
    if question.published_at:
        accepted["datePublished"] = question.published_at.isoformat()
    if doctor is not None:
        accepted["author"] = {
            "@type": "Physician",
            "name": doctor.name,
            "url": base + url_for("content.doctor", slug=doctor.slug),
        }
    main = {
        "@type": "Question",
        "name": question.title,
        "text": question.public_body,
        "answerCount": 1,
        "author": {"@type": "Person", "name": "A Remedy Shop reader"},
        "dateCreated": question.created_at.isoformat(),
        "acceptedAnswer": accepted,
    }
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": main}


@bp.get("/questions/<int:question_id>-<slug>")
def show(question_id: int, slug: str):
    def render() -> str:
        question = service.published(question_id)
        if question is None:
            abort(404, description="We could not find that question.")
        if slug != question.slug:
            abort(redirect(service.public_url(question), 301))
        url = current_app.config["SHOP_BASE_URL"] + service.public_url(question)
        answer = answer_html(question)
        return render_template(
            "questions/question.html",
            question=question,
            answer=answer,
            canonical=url,
            structured_data=_structured_data(question, url, answer),
        )

    return cached_page(render)


@bp.get("/questions/<int:question_id>")
def show_without_slug(question_id: int):
    question = service.published(question_id)
    if question is None:
        abort(404, description="We could not find that question.")
    return redirect(service.public_url(question), 301)


# --- the doctors' inbox ----------------------------------------------------------------------


@doctor_bp.before_request
def doctors_only():
    """Every /doctor URL: anonymous visitors sign in first, everyone but doctors gets 403."""
    require_role(lambda user: user.is_doctor, "This page is for the shop's doctors.")


def _me() -> int:
    return current_user.doctor_id


@doctor_bp.get("/")
def inbox():
    slug = request.args.get("condition", "").strip()
    condition = None
    if slug:
        if not SLUG_RE.fullmatch(slug):
            abort(400, description="Unknown condition: choose one from the list.")
        condition = content_queries.condition_by_slug(slug)
        if condition is None:
            abort(400, description="Unknown condition: choose one from the list.")
    return render_template(
        "questions/doctor/inbox.html",
        questions=service.inbox(condition.id if condition else None),
        mine=service.answered_by(_me(), limit=20),
        conditions=content_queries.all_conditions(),
        condition=condition,
        doctor=service.doctor_profile(_me()),
        age_bands=AGE_BANDS,
    )


def _doctor_question_page(question: Question, form: AnswerForm, status: int = 200, **extra):
    db.session.rollback()
    mine = question.doctor_id == _me()
    can_answer = question.is_open or (question.status == QuestionStatus.ANSWERED and mine)
    return render_template(
        "questions/doctor/question.html",
        question=question,
        form=form,
        can_answer=can_answer,
        mine=mine,
        age_bands=AGE_BANDS,
        **extra,
    ), status


def _question_or_404(question_id: int) -> Question:
    try:
        return service.get_question(question_id)
    except ShopError as error:
        abort(error.status, description=error.message)


@doctor_bp.get("/questions/<int:question_id>")
def question(question_id: int):
    item = _question_or_404(question_id)
    form = AnswerForm(formdata=None, answer=item.answer if item.doctor_id == _me() else "")
    return _doctor_question_page(item, form)


@doctor_bp.post("/questions/<int:question_id>/answer")
def answer(question_id: int):
    item = _question_or_404(question_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _doctor_question_page(item, form, 422)
    if request.form.get("action") == "preview":
        return _doctor_question_page(item, form, preview=Markup(render_markdown(form.answer.data)))
    try:
        service.answer(item.id, _me(), form.answer.data)
    except ShopError as error:
        db.session.rollback()
        return _doctor_question_page(
            _question_or_404(question_id), form, error.status, problem=error.message
        )
    db.session.commit()
    flash(
        "Thank you: your answer is with our staff for a last check before it is published.",
        "success",
    )
    return redirect(url_for("doctor.inbox"), 303)
