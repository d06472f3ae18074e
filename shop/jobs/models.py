"""A background job: what to do, who asked, and how far it has got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shop.database import UTCDateTime, utcnow
from shop.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
OPEN_STATES = (QUEUED, RUNNING)


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "csv_import", …
    state: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_email: Mapped[str] = mapped_column(String(320))
    filename: Mapped[str] = mapped_column(String(200), default="")
    # The input (an uploaded file), emptied once the job has finished.
    payload: Mapped[bytes] = mapped_column(LargeBinary, default=b"", deferred=True)
    phase: Mapped[str] = mapped_column(String(40), default="")  # what it is doing now
    done: Mapped[int] = mapped_column(Integer, default=0)  # rows handled in this phase
    total: Mapped[int] = mapped_column(Integer, default=0)  # rows in all
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The running worker's last sign of life (its claim, then each progress report): a
    # job whose worker stays silent longer than SHOP_JOB_CLAIM_TIMEOUT is claimed again.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # claims
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0
