"""The outbox's channels: e-mail through SMTP, a webhook (POST JSON to a configured URL), and text
messages (SMS / 알림톡) through a gateway's webhook (FACILITY_SMS_URL).

A campus that talks in a messenger points FACILITY_WEBHOOK_URL at a small bridge of its choice;
staff notifications then arrive there as well as by e-mail. Both channels share the outbox's
retries and back-off (`facility/core/outbox.py`).
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from email.message import EmailMessage

import httpx
from sqlmodel import Session

from facility.core.config import MailSettings, Settings, SmsSettings, WebhookSettings, active_settings
from facility.core.outbox import (
    EMAIL,
    SMS,
    WEBHOOK,
    Channel,
    DeliveryFailed,
    OutboxMessage,
    enqueue,
    enqueue_email,
    message_id,
)


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = message_id(message, sender)
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


class EmailChannel:
    name = EMAIL

    def __init__(
        self,
        settings: MailSettings,
        transport: Callable[[EmailMessage, MailSettings], None] = send_via_smtp,
    ) -> None:
        self.settings = settings
        self.transport = transport

    def ready(self) -> bool:
        return bool(self.settings.host)

    def deliver(self, message: OutboxMessage) -> None:
        try:
            self.transport(build_email(message, self.settings.sender), self.settings)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(str(error)) from error


class WebhookChannel:
    name = WEBHOOK

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings

    def ready(self) -> bool:
        return bool(self.settings.url)

    def deliver(self, message: OutboxMessage) -> None:
        payload = {
            "id": message.id,
            "to": message.to,
            "subject": message.subject,
            "body": message.body,
            "created_at": message.created_at.isoformat(),
        }
        headers = {"Authorization": f"Bearer {self.settings.token}"} if self.settings.token else {}
        try:
            response = httpx.post(self.settings.url, json=payload, headers=headers, timeout=self.settings.timeout_s)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")


class SmsChannel:
    """Text messages: POST {to, sender, text} to the SMS / 알림톡 gateway's webhook, whose provider
    (a bridge the campus chooses) turns it into a text; any non-2xx answer is retried."""

    name = SMS

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def ready(self) -> bool:
        return bool(self.settings.url)

    def deliver(self, message: OutboxMessage) -> None:
        payload = {"id": message.id, "to": message.to, "sender": self.settings.sender, "text": message.body}
        headers = {"Authorization": f"Bearer {self.settings.token}"} if self.settings.token else {}
        try:
            response = httpx.post(self.settings.url, json=payload, headers=headers, timeout=self.settings.timeout_s)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")


def configured_channels(settings: Settings) -> list[Channel]:
    """Every channel, as the settings configure it (an unconfigured one sends nothing)."""
    return [EmailChannel(settings.mail), WebhookChannel(settings.webhook), SmsChannel(settings.sms)]


def enqueue_text(session: Session, *, phone: str, body: str) -> OutboxMessage | None:
    """Queue a text message when a gateway is configured and there is a number to send to."""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if not active_settings().sms.url or len(digits) < 8:
        return None
    return enqueue(session, channel=SMS, to=digits, subject=body[:60], body=body)


def notify_staff(session: Session, emails: Iterable[str], *, subject: str, body: str) -> list[OutboxMessage]:
    """E-mail each staff member once, and post one copy to the campus webhook when one is set."""
    addresses = list(dict.fromkeys(emails))
    queued = [enqueue_email(session, to=address, subject=subject, body=body) for address in addresses]
    if active_settings().webhook.url:
        queued.append(enqueue(session, channel=WEBHOOK, to=", ".join(addresses), subject=subject, body=body))
    return queued
