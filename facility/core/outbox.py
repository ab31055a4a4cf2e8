"""The outbox: every notification is a row written in the caller's transaction, sent after commit.

A job (`facility/core/tasks.py`) hands due rows to their channel (`facility/core/channels.py`):
e-mail through SMTP, or a webhook a campus forwards to its messenger. A failed delivery is retried
with exponential back-off and, after MAX_ATTEMPTS, left as failed for a person to look at.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, Session, SQLModel, col, select, update

from facility.core.db import utc_field, utcnow

log = logging.getLogger(__name__)
# Give up after this many tries (about a day with the back-off below) and leave it for a person.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BATCH = 50
EMAIL, WEBHOOK = "email", "webhook"


class OutboxStatus(StrEnum):
    pending = "pending"
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
    attempts: int = Field(default=0)
    next_attempt_at: datetime = utc_field(default_factory=utcnow, nullable=False, index=True)
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


def mark_sent_before(session: Session, moment: datetime) -> int:
    """Count messages written before `moment` as sent when written: the demo's history has its
    past e-mail already delivered, so only what happens from today on waits in the outbox."""
    result = session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.pending.value, col(OutboxMessage.created_at) < moment)
        .values(status=OutboxStatus.sent.value, sent_at=OutboxMessage.created_at)
    )
    return int(result.rowcount or 0)


def send_pending(session: Session, now: datetime, channels: Sequence[Channel]) -> int:
    """Deliver due messages of the ready channels; a failure backs off. Returns how many were sent."""
    by_name = {channel.name: channel for channel in channels if channel.ready()}
    if not by_name:
        return 0
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.pending.value,
            OutboxMessage.next_attempt_at <= now,
            col(OutboxMessage.channel).in_(by_name),
        )
        .order_by(col(OutboxMessage.id))
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for message in session.exec(query):
        message.attempts += 1
        try:
            by_name[message.channel].deliver(message)
        except DeliveryFailed as error:
            message.last_error = str(error)[:1000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.failed.value
                log.error("giving up on outbox message %s (%s): %s", message.id, message.channel, error)
            else:
                message.next_attempt_at = now + BACKOFF_BASE * 2 ** (message.attempts - 1)
        else:
            message.status = OutboxStatus.sent.value
            message.sent_at = now
            sent += 1
        session.add(message)
    session.flush()
    return sent


def recent_messages(session: Session, *, limit: int = 100, since: datetime | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    return list(session.exec(query))
