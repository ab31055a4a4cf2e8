"""The outbox: every notification is a row written in the caller's transaction, sent after commit.

A job (`facility/core/tasks.py`) hands due rows to their channel (`facility/core/channels.py`):
e-mail through SMTP, or a webhook a campus forwards to its messenger. Sending crosses a process,
so it is claim, send, record, each short: a row is leased (`sending`, `lease_until`, its attempt
counted) in one transaction, delivered outside any, and its outcome recorded in another. A slow
server then holds no transaction open, two senders never take one row, and a sender that dies
mid-delivery leaves a lease that expires and is taken again (the `Message-ID` stays the same, so
the receiver can tell the resend). A failed delivery backs off exponentially and, after
MAX_ATTEMPTS, is left as failed for a person to look at.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Column, ColumnElement, LargeBinary, String, and_, or_
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select, update

from facility.core.db import session_scope, utc_field, utcnow

log = logging.getLogger(__name__)
# Give up after this many tries (about a day with the back-off below) and leave it for a person.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BATCH = 50
# A lease covers one delivery: a handful of SMTP steps, each bounded by the channel's timeout.
LEASE = timedelta(minutes=10)
EMAIL, WEBHOOK, SMS = "email", "webhook", "sms"


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(SQLModel, table=True):
    """A notification waiting for the sending job (or, in the demo, shown in the UI instead)."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default=EMAIL, sa_type=String(20))
    to: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=300)
    body: str
    ics: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    status: str = Field(default=OutboxStatus.pending.value, sa_type=String(20), index=True)
    # Counted when a sender claims the row, so a sender that dies mid-delivery still used one.
    attempts: int = Field(default=0)
    next_attempt_at: datetime = utc_field(default_factory=utcnow, nullable=False, index=True)
    # While `sending`: until when the claiming sender owns the row; after that anyone may retake it.
    lease_until: datetime | None = utc_field(default=None, nullable=True)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    sent_at: datetime | None = utc_field(default=None, nullable=True)


class DeliveryFailed(Exception):
    """The channel could not deliver now; the message is tried again later."""


class Channel(Protocol):
    """One way out of the outbox: it delivers the rows whose `channel` is its `name`."""

    name: str

    def ready(self) -> bool:
        """Configured to send; until then its messages wait in the outbox."""
        ...

    def deliver(self, message: OutboxMessage) -> None:
        """Send one message, or raise DeliveryFailed."""
        ...


def enqueue(
    session: Session, *, to: str, subject: str, body: str, channel: str = EMAIL, ics: bytes | None = None
) -> OutboxMessage:
    """Queue one message in the caller's transaction; the outbox job sends it after commit. (Not
    flushed here: the unit of work writes a request's messages and audit entries in one batch.)"""
    message = OutboxMessage(channel=channel, to=to.strip()[:254], subject=subject[:300], body=body, ics=ics)
    session.add(message)
    return message


def enqueue_email(session: Session, *, to: str, subject: str, body: str, ics: bytes | None = None) -> OutboxMessage:
    """Queue one e-mail (with an optional calendar attachment)."""
    return enqueue(session, to=to, subject=subject, body=body, ics=ics)


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same `Message-ID` on every attempt of one row, so a resend after a crash is recognisable."""
    domain = sender.rpartition("@")[2] or "facility.invalid"
    return f"<outbox-{message.id}-{int(message.created_at.timestamp())}@{domain}>"


def mark_sent_before(session: Session, moment: datetime) -> int:
    """Count messages written before `moment` as sent when written: the demo's history has its
    past e-mail already delivered, so only what happens from today on waits in the outbox."""
    result = session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.pending.value, col(OutboxMessage.created_at) < moment)
        .values(status=OutboxStatus.sent.value, sent_at=OutboxMessage.created_at)
    )
    return int(result.rowcount or 0)


def _claimable(now: datetime, channels: Sequence[str]) -> ColumnElement[bool]:
    status = col(OutboxMessage.status)
    due = and_(status == OutboxStatus.pending.value, col(OutboxMessage.next_attempt_at) <= now)
    abandoned = and_(status == OutboxStatus.sending.value, col(OutboxMessage.lease_until) <= now)
    return and_(
        col(OutboxMessage.channel).in_(channels), col(OutboxMessage.attempts) < MAX_ATTEMPTS, or_(due, abandoned)
    )


def claim_next(engine: Engine, now: datetime, channels: Sequence[str]) -> OutboxMessage | None:
    """Lease the oldest due message of these channels in a short transaction of its own."""
    with session_scope(engine) as session:
        query = select(OutboxMessage).where(_claimable(now, channels)).order_by(col(OutboxMessage.id)).limit(1)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        message = session.exec(query).first()
        if message is None:
            return None
        message.status = OutboxStatus.sending.value
        message.lease_until = now + LEASE
        message.attempts += 1
        session.add(message)
        session.flush()
        session.expunge(message)
    return message


def _record(engine: Engine, message: OutboxMessage, now: datetime, error: DeliveryFailed | None) -> None:
    """Write one delivery's outcome, only if the row is still this claim's (same attempt)."""
    values: dict[str, Any] = {"lease_until": None}
    if error is None:
        values |= {"status": OutboxStatus.sent.value, "sent_at": now}
    else:
        values["last_error"] = str(error)[:1000]
        if message.attempts >= MAX_ATTEMPTS:
            values["status"] = OutboxStatus.failed.value
            log.error("giving up on outbox message %s (%s): %s", message.id, message.channel, error)
        else:
            values["status"] = OutboxStatus.pending.value
            values["next_attempt_at"] = now + BACKOFF_BASE * 2 ** (message.attempts - 1)
    with session_scope(engine) as session:
        session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == message.id,
                col(OutboxMessage.status) == OutboxStatus.sending.value,
                col(OutboxMessage.attempts) == message.attempts,
            )
            .values(**values)
        )


def _give_up_abandoned(engine: Engine, now: datetime) -> None:
    """A lease that expired on the last allowed attempt is not taken again: the cap holds."""
    with session_scope(engine) as session:
        session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status) == OutboxStatus.sending.value,
                col(OutboxMessage.lease_until) <= now,
                col(OutboxMessage.attempts) >= MAX_ATTEMPTS,
            )
            .values(status=OutboxStatus.failed.value, lease_until=None, last_error="sender stopped mid-delivery")
        )


def send_pending(engine: Engine, now: datetime, channels: Sequence[Channel]) -> int:
    """Deliver up to BATCH due messages of the ready channels; returns how many were sent.

    A channel that fails is not tried again this tick: its server is likely down, and its other
    messages would each spend a timeout and an attempt on finding that out again."""
    ready = {channel.name: channel for channel in channels if channel.ready()}
    if not ready:
        return 0
    _give_up_abandoned(engine, now)
    sent = 0
    for _ in range(BATCH):
        message = claim_next(engine, now, list(ready)) if ready else None
        if message is None:
            break
        try:
            ready[message.channel].deliver(message)
        except DeliveryFailed as error:
            _record(engine, message, now, error)
            del ready[message.channel]
            continue
        _record(engine, message, now, None)
        sent += 1
    return sent


def recent_messages(session: Session, *, limit: int = 100, since: datetime | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    return list(session.exec(query))
