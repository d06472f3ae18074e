"""Mail leaves only through the outbox and a worker, against a real local SMTP server."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from shop.database import utcnow
from shop.mail import FAILED, PENDING, SENT, MailSettings, OutboxMessage, deliver_due, send_mail
from shop.mail import retry_delay as delay_for
from tests.conftest import csrf_token_for
from tests.factories import make_user


class Recorder:
    """An SMTP handler that keeps what it receives, or refuses the next `fail` messages."""

    def __init__(self) -> None:
        self.received: list = []
        self.fail = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            if self.fail:
                self.fail -= 1
                return "451 4.3.0 Try again later"
            self.received.append(envelope)
        return "250 OK"


@pytest.fixture()
def smtp():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _settings(port: int, **changes) -> MailSettings:
    values = dict(
        server="127.0.0.1",
        port=port,
        use_tls=False,
        username=None,
        password=None,
        sender="Remedy Shop <shop@example.com>",
        timeout=5.0,
        max_attempts=3,
        retry_base=30.0,
        retry_cap=3600.0,
    )
    values.update(changes)
    return MailSettings(**values)


@pytest.fixture()
def smtp_config(app, smtp, monkeypatch):
    """The app configured for SMTP through the local server."""
    controller, _handler = smtp
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,
        "MAIL_FROM": "Remedy Shop <shop@example.com>",
    }.items():
        monkeypatch.setitem(app.config, key, value)


def _queue(db, count: int = 1) -> list[int]:
    ids = [send_mail(f"to{i}@example.com", f"Hello {i}", f"Body {i}\n").id for i in range(count)]
    db.session.commit()
    return ids


def _message(db, message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_request_only_queues_even_when_smtp_is_configured(client, db, app, monkeypatch):
    """No SMTP inside a request: with a dead mail server the page still answers at once."""
    make_user("reset@example.com")
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # nothing listens there
    token = csrf_token_for(client)
    response = client.post(
        "/account/password-reset", data={"csrf_token": token, "email": "reset@example.com"}
    )
    assert response.status_code == 200
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.status == PENDING and message.attempts == 0 and message.sent_at is None


def test_a_message_exists_only_if_its_transaction_commits(db):
    send_mail("gone@example.com", "Never", "Rolled back.\n")
    db.session.rollback()
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_worker_command_delivers_pending_mail_once(runner, db, smtp, smtp_config):
    _controller, handler = smtp
    (message_id,) = _queue(db)
    result = runner.invoke(args=["deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    (envelope,) = handler.received
    assert envelope.rcpt_tos == ["to0@example.com"]
    assert b"Subject: Hello 0" in envelope.content and b"Body 0" in envelope.content
    message = _message(db, message_id)
    assert message.status == SENT and message.sent_at is not None and message.attempts == 1
    again = runner.invoke(args=["deliver-mail", "--once"])
    assert again.exit_code == 0 and len(handler.received) == 1  # sent means sent


def test_a_refused_message_is_retried_after_a_backoff(db, smtp):
    controller, handler = smtp
    settings = _settings(controller.port)
    (message_id,) = _queue(db)
    handler.fail = 1
    now = utcnow()
    first = deliver_due(settings, now=now)
    assert (first.sent, first.retrying) == (0, 1)
    message = _message(db, message_id)
    assert message.status == PENDING and message.attempts == 1
    assert "451" in message.last_error
    assert message.next_attempt_at == now + timedelta(seconds=30)
    # not due yet: nothing is sent before the backoff has passed
    assert deliver_due(settings, now=now + timedelta(seconds=29)).sent == 0
    assert handler.received == []
    later = deliver_due(settings, now=now + timedelta(seconds=31))
    assert later.sent == 1 and len(handler.received) == 1
    message = _message(db, message_id)
    assert message.status == SENT and message.attempts == 2 and message.last_error is None


def test_a_message_is_marked_failed_after_the_last_attempt(db):
    settings = _settings(_free_port(), max_attempts=3)  # no server: connection refused
    (message_id,) = _queue(db)
    now = utcnow()
    for attempt in (1, 2):
        assert deliver_due(settings, now=now).retrying == 1
        message = _message(db, message_id)
        assert message.attempts == attempt and message.status == PENDING
        now = message.next_attempt_at
    assert deliver_due(settings, now=now).failed == 1
    message = _message(db, message_id)
    assert message.status == FAILED and message.attempts == 3
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    assert deliver_due(settings, now=now + timedelta(days=1)).failed == 0  # left alone


def test_backoff_doubles_up_to_its_cap():
    settings = _settings(25, retry_base=30.0, retry_cap=600.0)
    assert [delay_for(n, settings) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_a_claimed_message_is_not_sent_by_a_second_worker(app, db, smtp):
    """Two workers at once: the conditional claim gives each message to one of them."""
    controller, handler = smtp
    settings = _settings(controller.port)
    _queue(db, 6)
    results = []
    start = threading.Barrier(2)

    def work():
        with app.app_context():
            start.wait()
            results.append(deliver_due(settings))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sum(r.sent for r in results) == 6
    assert sorted(e.rcpt_tos[0] for e in handler.received) == [
        f"to{i}@example.com" for i in range(6)
    ]
