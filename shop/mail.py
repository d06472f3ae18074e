"""Outgoing e-mail through an outbox: requests only queue, a worker delivers.

`send_mail` adds a row to `outbox_messages` in the caller's transaction, so a message
exists exactly when the change that caused it commits (an order paid, a reset asked
for) and no request or webhook ever waits on an SMTP server.

`flask --app shop deliver-mail` (see `deliver_due`) sends what is due: it claims a
message by pushing its `next_attempt_at` a lease ahead in a conditional UPDATE (so two
workers never send it at the same time), sends it, then marks it `sent`. A failure
counts an attempt and retries after an exponentially growing delay; after
`MAIL_MAX_ATTEMPTS` the message is marked `failed` with the last error. Delivery is at
least once: a worker that dies between sending and marking leaves the claim to lapse,
and the message is sent again.

With the default `MAIL_BACKEND=outbox` nothing leaves the machine: messages stay
`pending` in the table, where developers and tests read them.
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from shop.database import UTCDateTime, utcnow
from shop.extensions import db

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=PENDING, server_default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


def send_mail(to: str, subject: str, body: str) -> OutboxMessage:
    """Queue a plain-text message; it leaves with the worker once the caller commits."""
    now = utcnow()
    message = OutboxMessage(
        to=to, subject=subject, body=body, created_at=now, status=PENDING, next_attempt_at=now
    )
    db.session.add(message)
    db.session.flush()
    return message


# --- the worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailSettings:
    """What the worker needs from the app config, as plain values."""

    server: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float = 10.0
    max_attempts: int = 8
    retry_base: float = 30.0  # seconds before the 2nd attempt; doubles each time
    retry_cap: float = 3600.0
    lease: float = 120.0  # how long a claim keeps other workers off a message

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(
            server=config["MAIL_SERVER"],
            port=int(config["MAIL_PORT"]),
            use_tls=bool(config["MAIL_USE_TLS"]),
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            sender=config["MAIL_FROM"],
            timeout=float(config.get("MAIL_TIMEOUT", 10.0)),
            max_attempts=int(config.get("MAIL_MAX_ATTEMPTS", 8)),
            retry_base=float(config.get("MAIL_RETRY_BASE_SECONDS", 30.0)),
            retry_cap=float(config.get("MAIL_RETRY_CAP_SECONDS", 3600.0)),
        )


def retry_delay(attempts: int, settings: MailSettings) -> float:
    """Seconds to wait after the `attempts`-th failure: base × 2^(attempts−1), capped."""
    return min(settings.retry_base * 2 ** max(attempts - 1, 0), settings.retry_cap)


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(
    settings: MailSettings, *, now: datetime | None = None, limit: int = 50
) -> Delivery:
    """Send the messages that are due, each claimed, sent and marked in turn; commits."""
    result = Delivery()
    now = now or utcnow()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for message_id in due:
        message = _claim(message_id, now, settings)
        if message is None:
            continue  # another worker has it
        try:
            _send_smtp(settings, message)
        except (OSError, smtplib.SMTPException) as error:
            _failed(message, now, settings, error, result)
        else:
            message.status, message.sent_at, message.last_error = SENT, utcnow(), None
            message.attempts += 1
            result.sent += 1
        db.session.commit()
    return result


def _claim(message_id: int, now: datetime, settings: MailSettings) -> OutboxMessage | None:
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + timedelta(seconds=settings.lease))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    return db.session.get(OutboxMessage, message_id)


def _failed(message, now, settings, error, result: Delivery) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= settings.max_attempts:
        message.status = FAILED
        result.failed += 1
        log.error(
            "mail %s to %s failed %s times, giving up: %s",
            message.id,
            message.to,
            message.attempts,
            message.last_error,
        )
    else:
        delay = retry_delay(message.attempts, settings)
        message.next_attempt_at = now + timedelta(seconds=delay)
        result.retrying += 1
        log.warning(
            "mail %s to %s failed (attempt %s), retrying in %.0fs: %s",
            message.id,
            message.to,
            message.attempts,
            delay,
            message.last_error,
        )


def _send_smtp(settings: MailSettings, message: OutboxMessage) -> None:
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}-{int(message.created_at.timestamp())}@remedy-shop>"
    email.set_content(message.body)
    with smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(email)


def run_worker(settings: MailSettings, *, once: bool, interval: float, echo=print) -> None:
    """Deliver what is due, then (unless `once`) keep polling every `interval` seconds."""
    while True:
        try:
            result = deliver_due(settings)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the worker
            db.session.rollback()
            log.exception("mail delivery round failed")
            result = None
        if result is not None and (result.sent or result.retrying or result.failed):
            echo(f"mail: {result.sent} sent, {result.retrying} to retry, {result.failed} failed")
        if once:
            return
        db.session.remove()
        time.sleep(interval)
