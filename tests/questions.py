"""Builders for the ask-a-doctor tests: doctors with accounts and questions in any state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shop.accounts.models import User
from shop.extensions import db
from shop.questions.models import Question, QuestionStatus
from shop.questions.service import slugify
from tests.factories import make_doctor, make_user

QUESTION = "My lower back goes into spasm after a long day at my desk. Heat or ice?"
ANSWER = "Use a cold pack for the first two days, then gentle heat. See a doctor if it lasts."


def make_doctor_user(email: str, *, years: int = 10, conditions=(), name: str | None = None):
    """A Doctor profile and the doctor account that answers as it."""
    doctor = make_doctor(years=years, conditions=conditions)
    if name:
        doctor.name = name
    user = make_user(email, role="customer")
    user.role, user.doctor_id = "doctor", doctor.id
    db.session.flush()
    return doctor, user


def make_question(
    body: str = QUESTION,
    *,
    status: str = QuestionStatus.OPEN.value,
    condition=None,
    doctor=None,
    email: str | None = "asker@example.com",
    emergency: bool = False,
    created_at: datetime | None = None,
    title: str = "Heat or ice for a back spasm?",
) -> Question:
    question = Question(
        status=status,
        body=body,
        condition=condition,
        email=email,
        emergency=emergency,
        emergency_signs="chest pain" if emergency else "",
        created_at=created_at or datetime(2026, 11, 1, tzinfo=UTC),
    )
    if status != QuestionStatus.OPEN.value:
        question.doctor = doctor
        question.answer = ANSWER
        question.answered_at = question.created_at + timedelta(hours=3)
    if status == QuestionStatus.PUBLISHED.value:
        question.title = title
        question.slug = slugify(title)
        question.public_body = body
        question.public_answer = ANSWER
        question.published_at = question.created_at + timedelta(hours=5)
    db.session.add(question)
    db.session.flush()
    return question


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))
