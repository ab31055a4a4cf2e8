"""Sending the outbox through SMTP, with retries and back-off."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import Session, col, select

from facility.booking.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
# Give up after this many tries (about a day with the back-off below) and leave it for a person.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BATCH = 50


class MailSettings(BaseSettings):
    """FACILITY_SMTP_HOST and friends; no host means nothing is sent."""

    model_config = SettingsConfigDict(env_prefix="FACILITY_SMTP_", extra="ignore")

    host: str = ""
    port: int = 587
    user: str = ""
    password: str = ""
    sender: str = "noreply@facility.example"
    starttls: bool = True
    timeout_s: float = 15.0


def build_message(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    if message.ics:
        email.add_attachment(
            message.ics,
            maintype="text",
            subtype="calendar",
            filename="booking.ics",
            params={"method": "PUBLISH"},
        )
    return email


def send_via_smtp(email: EmailMessage, settings: MailSettings) -> None:
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password)
        smtp.send_message(email)


def send_pending(session: Session, now: datetime, settings: MailSettings | None = None, transport=send_via_smtp) -> int:  # type: ignore[no-untyped-def]
    """Send due messages; a failure is retried with exponential back-off. Returns how many sent."""
    settings = settings or MailSettings()
    if not settings.host:
        return 0
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending.value, OutboxMessage.next_attempt_at <= now)
        .order_by(col(OutboxMessage.id))
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for message in session.exec(query):
        message.attempts += 1
        try:
            transport(build_message(message, settings.sender), settings)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:1000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.failed.value
                log.error("giving up on outbox message %s: %s", message.id, error)
            else:
                message.next_attempt_at = now + BACKOFF_BASE * 2 ** (message.attempts - 1)
        else:
            message.status = OutboxStatus.sent.value
            message.sent_at = now
            sent += 1
        session.add(message)
    session.flush()
    return sent
