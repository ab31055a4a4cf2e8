"""The outbox against a real SMTP server that stalls: claim, send, record keeps every message to
one delivery, the attempt cap holds, and a resend carries the same Message-ID."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.core import channels, outbox
from facility.core.config import DatabaseLimits
from facility.core.db import get_engine
from facility.core.outbox import MAX_ATTEMPTS, OutboxMessage
from tests.core.smtp import StallingHandler, smtp_server

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)
# Shorter than one stalled delivery: a sender that kept its transaction open across the SMTP
# conversation loses its database connection, as it would to a slow mail server in production.
IDLE_LIMIT = DatabaseLimits(idle_in_transaction_timeout_ms=500)
STALL = 1.5


@pytest.fixture
def impatient_engine(db_url: str) -> Iterator[Engine]:
    """The test database with PostgreSQL's idle-in-transaction limit below one delivery."""
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no idle-in-transaction limit")
    engine = get_engine(db_url, IDLE_LIMIT)
    yield engine
    engine.dispose()


def _queue(session: Session, count: int) -> list[OutboxMessage]:
    messages = [
        outbox.enqueue_email(session, to=f"r{n}@campus.example", subject=f"s{n}", body="b") for n in range(count)
    ]
    for message in messages:
        message.next_attempt_at = NOW
    session.commit()
    return messages


def _rows(session: Session) -> list[OutboxMessage]:
    session.rollback()  # end the test's read, so the senders' commits show
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _ids(settings: channels.MailSettings, rows: list[OutboxMessage]) -> list[str]:
    return [outbox.message_id(row, settings.sender) for row in rows]


def test_each_message_is_delivered_once_though_the_server_outlasts_a_transaction(
    session: Session, impatient_engine: Engine
) -> None:
    _queue(session, 4)
    handler = StallingHandler(stall=STALL)
    with smtp_server(handler) as mail:
        email = channels.EmailChannel(mail)
        assert outbox.send_pending(impatient_engine, NOW, [email]) == 4
        assert outbox.send_pending(impatient_engine, NOW + timedelta(hours=1), [email]) == 0
    rows = _rows(session)
    assert sorted(handler.message_ids()) == sorted(_ids(mail, rows))
    assert [(row.status, row.attempts, row.lease_until) for row in rows] == [("sent", 1, None)] * 4


def test_two_senders_at_once_deliver_each_message_once(session: Session, engine: Engine, db_url: str) -> None:
    sender = engine if db_url.startswith("sqlite") else get_engine(db_url, IDLE_LIMIT)
    _queue(session, 6)
    handler = StallingHandler(stall=0.3)
    barrier = threading.Barrier(2)
    with smtp_server(handler) as mail:

        def tick() -> None:
            barrier.wait()
            outbox.send_pending(sender, NOW, [channels.EmailChannel(mail)])

        threads = [threading.Thread(target=tick) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    rows = _rows(session)
    assert Counter(handler.message_ids()) == Counter(_ids(mail, rows))
    assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}


def test_the_attempt_cap_holds_when_every_try_stalls_then_fails(session: Session, impatient_engine: Engine) -> None:
    _queue(session, 1)
    handler = StallingHandler(stall=STALL, reply="451 4.3.0 try again later")
    with smtp_server(handler) as mail:
        email = channels.EmailChannel(mail)
        for day in range(MAX_ATTEMPTS + 3):
            outbox.send_pending(impatient_engine, NOW + timedelta(days=day), [email])
    (row,) = _rows(session)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS) and "451" in row.last_error
    assert len(handler.received) == MAX_ATTEMPTS


def test_a_resend_carries_the_first_attempts_message_id(session: Session, engine: Engine) -> None:
    _queue(session, 1)
    handler = StallingHandler(stall=10)
    with smtp_server(handler) as mail:
        # The server keeps the message but answers after the client stopped waiting.
        impatient = channels.EmailChannel(mail.model_copy(update={"timeout_s": 1.0}))
        assert outbox.send_pending(engine, NOW, [impatient]) == 0
        handler.stall = 0
        assert outbox.send_pending(engine, NOW + timedelta(minutes=5), [channels.EmailChannel(mail)]) == 1
    (row,) = _rows(session)
    first, second = handler.message_ids()
    assert first == second == outbox.message_id(row, mail.sender)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_lease_left_by_a_sender_that_died_is_taken_again(session: Session, engine: Engine) -> None:
    (message,) = _queue(session, 1)
    claimed = outbox.claim_next(engine, NOW, [outbox.EMAIL])  # then the sender's process dies
    assert claimed is not None and claimed.id == message.id
    handler = StallingHandler()
    with smtp_server(handler) as mail:
        email = channels.EmailChannel(mail)
        assert outbox.send_pending(engine, NOW + outbox.LEASE - timedelta(seconds=1), [email]) == 0  # still leased
        assert outbox.send_pending(engine, NOW + outbox.LEASE, [email]) == 1
    (row,) = _rows(session)
    assert (row.status, row.attempts) == ("sent", 2)
    assert handler.message_ids() == [outbox.message_id(row, mail.sender)]
