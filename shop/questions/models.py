"""A reader's question to the shop's doctors, its answer and its moderation.

One row carries the whole life of a question: asked (`open`), answered by a doctor
(`answered`), then `published` or `rejected` by staff. What the asker wrote (`body`) and
how to reach them (`email`, `user_id`, `age_band`) stay private; the public page shows
only the wording staff approved (`title`, `public_body`, `public_answer`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.content.models import Condition, Doctor
from shop.database import UTCDateTime, utcnow
from shop.extensions import db


class QuestionStatus(StrEnum):
    OPEN = "open"  # waiting for a doctor
    ANSWERED = "answered"  # a doctor answered; waiting for staff
    PUBLISHED = "published"  # public at /questions/<id>-<slug>
    REJECTED = "rejected"  # never shown; `rejection_reason` says why


STATUSES = tuple(status.value for status in QuestionStatus)

AGE_BANDS = {
    "under-18": "Under 18",
    "18-29": "18–29",
    "30-44": "30–44",
    "45-59": "45–59",
    "60-74": "60–74",
    "75-plus": "75 or older",
}


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'answered', 'published', 'rejected')", name="status_known"
        ),
        # A question past `open` has its doctor and answer; a published one its wording.
        CheckConstraint(
            "status = 'open' OR status = 'rejected' OR (doctor_id IS NOT NULL AND answer <> '')",
            name="answered_has_answer",
        ),
        Index("ix_questions_status_created_at", "status", "created_at"),
        Index("ix_questions_condition_id_published_at", "condition_id", "published_at"),
        Index("ix_questions_doctor_id_published_at", "doctor_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=QuestionStatus.OPEN.value)
    body: Mapped[str] = mapped_column(Text)  # the asker's own words: private
    condition_id: Mapped[int | None] = mapped_column(ForeignKey("conditions.id"))
    age_band: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))  # where the answer link goes
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_signs: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))
    answer: Mapped[str] = mapped_column(Text, default="")  # the doctor's Markdown
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    title: Mapped[str] = mapped_column(String(200), default="")
    slug: Mapped[str] = mapped_column(String(120), default="")
    public_body: Mapped[str] = mapped_column(Text, default="")
    public_answer: Mapped[str] = mapped_column(Text, default="")  # Markdown, as published
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    condition: Mapped[Condition | None] = relationship()
    doctor: Mapped[Doctor | None] = relationship()

    @property
    def invalidates_pages(self) -> bool:
        """Public pages change when a question is published, edited or taken down."""
        if self.status == QuestionStatus.PUBLISHED:
            return True
        state = inspect(self)
        return not state.transient and QuestionStatus.PUBLISHED in state.attrs.status.history[2]

    @property
    def is_open(self) -> bool:
        return self.status == QuestionStatus.OPEN

    @property
    def signs(self) -> list[str]:
        return [sign for sign in self.emergency_signs.split(";") if sign]

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.status}>"
