"""Outgoing e-mail: every message is kept in the outbox table; SMTP delivers it when set.

With the default `MAIL_BACKEND=outbox` nothing leaves the machine: messages stay in
`outbox_messages`, where developers and tests read them. With `MAIL_BACKEND=smtp` (or a
`MAIL_SERVER` set) each message is also sent through the configured server.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shop.database import UTCDateTime, utcnow
from shop.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def send_mail(to: str, subject: str, body: str) -> OutboxMessage:
    """Queue a plain-text message in the outbox, and send it now when SMTP is configured."""
    message = OutboxMessage(to=to, subject=subject, body=body)
    db.session.add(message)
    config = current_app.config
    if config.get("MAIL_BACKEND") == "smtp":
        _send_smtp(config, message)
        message.sent_at = utcnow()
    db.session.flush()
    return message


def _send_smtp(config, message: OutboxMessage) -> None:
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(email)
