"""Core's outbox: channels behind one interface, the webhook against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.core import channels, outbox
from facility.core.config import MailSettings, Settings, SmsSettings, WebhookSettings, using
from facility.core.db import utcnow
from facility.core.outbox import MAX_ATTEMPTS, OutboxMessage
from tests.conftest import free_port

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)


class Hook(HTTPServer):
    """A messenger bridge: records each POST and answers with the next planned status."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.received: list[tuple[dict[str, object], str]] = []
        self.statuses: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class HookHandler(BaseHTTPRequestHandler):
    server: Hook

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((json.loads(body), self.headers.get("Authorization", "")))
        status = self.server.statuses.pop(0) if self.server.statuses else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _reload(session: Session, message: OutboxMessage) -> None:
    """End the test's read (SQLite reads a snapshot) and read the row as the sender left it."""
    session.rollback()
    session.refresh(message)


def _webhook(url: str) -> channels.WebhookChannel:
    return channels.WebhookChannel(WebhookSettings(url=url, token="s3cret"))


def test_staff_notices_go_to_the_webhook_when_one_is_configured(session: Session, engine: Engine, hook: Hook) -> None:
    assert [m.channel for m in channels.notify_staff(session, ["a@x.kr"], subject="s", body="b")] == ["email"]
    # The webhook is the active settings' (the app's per request, the scheduler's per tick).
    with using(Settings(webhook=WebhookSettings(url=hook.url))):
        queued = channels.notify_staff(session, ["a@x.kr", "b@x.kr", "a@x.kr"], subject="누수 경보", body="B동 지하")
    assert [(m.channel, m.to) for m in queued] == [
        ("email", "a@x.kr"),
        ("email", "b@x.kr"),
        ("webhook", "a@x.kr, b@x.kr"),
    ]
    session.commit()
    # Without an SMTP host the e-mails wait; the webhook is posted with its token.
    email = channels.EmailChannel(MailSettings(host=""))
    assert outbox.send_pending(engine, utcnow() + timedelta(seconds=1), [email, _webhook(hook.url)]) == 1
    ((payload, authorization),) = hook.received
    assert payload["subject"] == "누수 경보" and payload["body"] == "B동 지하" and payload["to"] == "a@x.kr, b@x.kr"
    assert authorization == "Bearer s3cret"
    session.expire_all()
    statuses = {m.channel: m.status for m in session.exec(select(OutboxMessage)).all() if m.subject == "누수 경보"}
    assert statuses == {"email": "pending", "webhook": "sent"}


def test_a_failing_webhook_backs_off_then_is_left_for_a_person(session: Session, engine: Engine, hook: Hook) -> None:
    message = outbox.enqueue(session, channel=outbox.WEBHOOK, to="managers", subject="s", body="b")
    message.next_attempt_at = NOW
    session.commit()
    webhook = _webhook(hook.url)
    hook.statuses = [503]
    assert outbox.send_pending(engine, NOW, [webhook]) == 0
    _reload(session, message)
    assert message.attempts == 1 and message.last_error.startswith("HTTP 503")
    assert message.next_attempt_at == NOW + outbox.BACKOFF_BASE
    assert outbox.send_pending(engine, NOW + timedelta(seconds=30), [webhook]) == 0  # not due yet
    hook.statuses = [500] * (MAX_ATTEMPTS - 1)
    moment = NOW
    while message.status == "pending":
        moment = message.next_attempt_at
        outbox.send_pending(engine, moment, [webhook])
        _reload(session, message)
    assert message.status == "failed" and message.attempts == MAX_ATTEMPTS
    assert len(hook.received) == MAX_ATTEMPTS
    # Exponential: the last wait before giving up was 2**(MAX_ATTEMPTS - 2) minutes.
    assert moment - NOW == outbox.BACKOFF_BASE * (2 ** (MAX_ATTEMPTS - 1) - 1)


def test_an_unreachable_webhook_is_retried(session: Session, engine: Engine, hook: Hook) -> None:
    message = outbox.enqueue(session, channel=outbox.WEBHOOK, to="managers", subject="s", body="b")
    message.next_attempt_at = NOW
    session.commit()
    closed = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens there
    assert outbox.send_pending(engine, NOW, [_webhook(closed)]) == 0
    _reload(session, message)
    assert message.status == "pending" and message.attempts == 1 and message.last_error
    assert outbox.send_pending(engine, message.next_attempt_at, [_webhook(hook.url)]) == 1
    _reload(session, message)
    assert message.status == "sent"


def test_text_messages_go_to_the_sms_gateway_only_when_one_is_set(session: Session, engine: Engine, hook: Hook) -> None:
    assert channels.enqueue_text(session, phone="010-1234-5678", body="추첨 당첨") is None  # no gateway
    with using(Settings(sms=SmsSettings(url=hook.url))):
        assert channels.enqueue_text(session, phone="", body="x") is None  # no number
        queued = channels.enqueue_text(session, phone="010-1234-5678", body="[연수원] 추첨 당첨")
    assert queued is not None and queued.channel == "sms" and queued.to == "01012345678"
    session.commit()
    gateway = channels.SmsChannel(SmsSettings(url=hook.url, token="t0k", sender="0212345678"))
    assert outbox.send_pending(engine, utcnow() + timedelta(seconds=1), [gateway]) == 1
    ((payload, authorization),) = hook.received
    assert payload["to"] == "01012345678" and payload["text"] == "[연수원] 추첨 당첨"
    assert payload["sender"] == "0212345678" and authorization == "Bearer t0k"
