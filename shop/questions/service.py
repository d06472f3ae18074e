"""Ask, answer, moderate: the life of a question (SPEC §14).

Services take plain values and raise `ShopError(status, message)`; they add and flush,
and the view or command commits once. Moderation is audited in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from shop.content.models import Condition, Doctor
from shop.database import utcnow
from shop.errors import ShopError
from shop.extensions import db
from shop.mail import send_mail
from shop.questions import triage
from shop.questions.models import AGE_BANDS, Question, QuestionStatus
from shop.staff.audit import audit, snapshot

QUESTION_MIN, QUESTION_MAX = 20, 2000
ANSWER_MIN, ANSWER_MAX = 20, 10_000
TITLE_MIN, TITLE_MAX = 10, 200
REASON_MIN, REASON_MAX = 5, 500
MAX_ID = 2**31 - 1  # larger ids cannot exist; PostgreSQL refuses to compare with them

# Control characters a person cannot type (NUL, escapes, …); tabs and newlines are fine.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Asked:
    """What the asker is told at once: the question's id and any emergency signs."""

    question_id: int
    signs: tuple[str, ...]


def clean_text(value: str | None, what: str, low: int, high: int) -> str:
    """Trimmed text of `low`–`high` characters without control characters, else 422."""
    text = (value or "").replace("\r\n", "\n").strip()
    if CONTROL_RE.search(text):
        raise ShopError(422, f"The {what} contains characters we cannot accept.")
    if len(text) < low:
        raise ShopError(422, f"The {what} needs at least {low} characters.")
    if len(text) > high:
        raise ShopError(422, f"The {what} can have at most {high:,} characters.")
    return text


def condition_for(slug: str | None) -> Condition | None:
    """The condition with this slug (None for no slug); 422 for an unknown one."""
    if not slug:
        return None
    condition = db.session.scalar(select(Condition).where(Condition.slug == slug))
    if condition is None:
        raise ShopError(422, "Choose a condition from the list, or leave it empty.")
    return condition


def ask(
    body: str,
    *,
    email: str | None,
    condition_slug: str | None = None,
    age_band: str | None = None,
    consent: bool = False,
    user_id: int | None = None,
) -> Asked:
    """Record a reader's question; triage it for emergency signs before anything else."""
    text = clean_text(body, "question", QUESTION_MIN, QUESTION_MAX)
    if not consent:
        raise ShopError(
            422, "Please agree that the question may be published without your details."
        )
    if age_band and age_band not in AGE_BANDS:
        raise ShopError(422, "Choose an age band from the list, or leave it empty.")
    if not email:
        raise ShopError(422, "Enter the e-mail address the answer should go to.")
    condition = condition_for(condition_slug)
    signs = triage.emergency_signs(text)
    question = Question(
        status=QuestionStatus.OPEN.value,
        body=text,
        condition=condition,
        age_band=age_band or None,
        email=email.strip().lower(),
        user_id=user_id,
        emergency=bool(signs),
        emergency_signs=";".join(signs),
    )
    db.session.add(question)
    db.session.flush()
    return Asked(question.id, tuple(signs))


def get_question(question_id: int) -> Question:
    question = db.session.get(Question, question_id) if 0 < question_id <= MAX_ID else None
    if question is None:
        raise ShopError(404, "There is no such question.")
    return question


# --- doctors -------------------------------------------------------------------------------


def answer(question_id: int, doctor_id: int, text: str) -> Question:
    """Record `doctor_id`'s answer; refuses a question another doctor answered or staff closed.

    A doctor may rework their own answer until staff publish it. The claim is one
    conditional UPDATE, so two doctors answering at the same moment cannot both win.
    """
    body = clean_text(text, "answer", ANSWER_MIN, ANSWER_MAX)
    question = get_question(question_id)
    claimed = db.session.execute(
        update(Question)
        .where(
            Question.id == question.id,
            (Question.status == QuestionStatus.OPEN.value)
            | (
                (Question.status == QuestionStatus.ANSWERED.value)
                & (Question.doctor_id == doctor_id)
            ),
        )
        .values(
            status=QuestionStatus.ANSWERED.value,
            doctor_id=doctor_id,
            answer=body,
            answered_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(question)
        if question.status == QuestionStatus.ANSWERED:
            raise ShopError(409, "Another doctor has already answered this question.")
        raise ShopError(409, f"This question is {question.status} and takes no more answers.")
    db.session.refresh(question)
    return question


def inbox(condition_id: int | None = None, limit: int = 100) -> list[Question]:
    """Open questions for doctors: flagged first, then oldest first."""
    stmt = (
        select(Question)
        .options(joinedload(Question.condition))
        .where(Question.status == QuestionStatus.OPEN.value)
        .order_by(Question.emergency.desc(), Question.created_at, Question.id)
        .limit(limit)
    )
    if condition_id is not None:
        stmt = stmt.where(Question.condition_id == condition_id)
    return list(db.session.scalars(stmt))


def answered_by(doctor_id: int, limit: int = 50) -> list[Question]:
    """A doctor's own answers, newest first, whatever became of them."""
    stmt = (
        select(Question)
        .options(joinedload(Question.condition))
        .where(Question.doctor_id == doctor_id)
        .order_by(Question.answered_at.desc(), Question.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


# --- staff moderation ----------------------------------------------------------------------


def slugify(text: str) -> str:
    """A URL slug of at most eight words: "Heat or ice?" → "heat-or-ice"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:8]
    return "-".join(words)[:100].strip("-") or "question"


def _state(question: Question) -> dict:
    return snapshot(question)


def publish(question_id: int, *, title: str, body: str, answer_text: str) -> Question:
    """Publish (or re-word) an answered question; the asker is mailed the link once."""
    question = get_question(question_id)
    if question.status not in (QuestionStatus.ANSWERED, QuestionStatus.PUBLISHED):
        raise ShopError(
            409, f"Only answered questions can be published; this one is {question.status}."
        )
    title = " ".join(clean_text(title, "title", TITLE_MIN, TITLE_MAX).split())
    public_body = clean_text(body, "question", QUESTION_MIN, QUESTION_MAX)
    public_answer = clean_text(answer_text, "answer", ANSWER_MIN, ANSWER_MAX)
    wording = (title, slugify(title), public_body, public_answer)
    first_time = question.status == QuestionStatus.ANSWERED
    current = (question.title, question.slug, question.public_body, question.public_answer)
    if not first_time and wording == current:
        return question  # saved unchanged: nothing to record
    before = _state(question)
    question.title, question.slug, question.public_body, question.public_answer = wording
    question.status = QuestionStatus.PUBLISHED.value
    question.moderated_at = utcnow()
    if first_time:
        question.published_at = question.moderated_at
    db.session.flush()
    after = _state(question)
    audit(
        "publish" if first_time else "update",
        "question",
        question.id,
        before=before,
        after=after,
        summary=f"Question #{question.id}: {title}",
    )
    if first_time and question.email:
        _mail_answer(question)
    return question


def reject(question_id: int, reason: str) -> Question:
    """Take a question out of the queue (or off the site) with a reason; the asker is told."""
    question = get_question(question_id)
    if question.status == QuestionStatus.REJECTED:
        raise ShopError(409, "This question has already been rejected.")
    reason = clean_text(reason, "reason", REASON_MIN, REASON_MAX)
    before = _state(question)
    was_published = question.status == QuestionStatus.PUBLISHED
    question.status = QuestionStatus.REJECTED.value
    question.rejection_reason = reason
    question.moderated_at = utcnow()
    db.session.flush()
    audit(
        "reject",
        "question",
        question.id,
        before=before,
        after=_state(question),
        summary=f"Question #{question.id} rejected: {reason}",
    )
    if question.email and not was_published:
        send_mail(
            question.email,
            "About your question to Remedy Shop's doctors",
            "Thank you for your question. We are sorry: our doctors cannot answer it here.\n\n"
            f"The reason: {reason}\n\n"
            "If you are worried about your health, please see a doctor in person. If it is "
            f"an emergency, call {triage.EMERGENCY_NUMBER} now.\n",
        )
    return question


def public_url(question: Question) -> str:
    return url_for("questions.show", question_id=question.id, slug=question.slug)


def _mail_answer(question: Question) -> None:
    link = current_app.config["SHOP_BASE_URL"] + public_url(question)
    doctor = question.doctor.name if question.doctor else "One of our doctors"
    send_mail(
        question.email,
        "A doctor has answered your question",
        f"{doctor} has answered the question you sent to Remedy Shop.\n\n"
        f"Read the answer here:\n{link}\n\n"
        "Your name and e-mail address are not published. The answer is general "
        "information and not a substitute for seeing a doctor. If your symptoms get worse "
        f"or you notice a warning sign, get medical help at once (emergency: "
        f"{triage.EMERGENCY_NUMBER}).\n",
    )


# --- public pages --------------------------------------------------------------------------


def published(question_id: int) -> Question | None:
    if not 0 < question_id <= MAX_ID:
        return None
    stmt = (
        select(Question)
        .options(joinedload(Question.doctor), joinedload(Question.condition))
        .where(Question.id == question_id, Question.status == QuestionStatus.PUBLISHED.value)
    )
    return db.session.scalar(stmt)


def _published_list():
    return (
        select(Question)
        .options(joinedload(Question.doctor))
        .where(Question.status == QuestionStatus.PUBLISHED.value)
        .order_by(Question.published_at.desc(), Question.id.desc())
    )


def for_condition(condition_id: int, limit: int = 10) -> list[Question]:
    stmt = _published_list().where(Question.condition_id == condition_id).limit(limit)
    return list(db.session.scalars(stmt))


def for_doctor(doctor_id: int, limit: int = 20) -> list[Question]:
    stmt = _published_list().where(Question.doctor_id == doctor_id).limit(limit)
    return list(db.session.scalars(stmt))


def doctor_profile(doctor_id: int) -> Doctor | None:
    return db.session.get(Doctor, doctor_id)
