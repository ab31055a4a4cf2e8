"""A real SMTP server on loopback (aiosmtpd) that can stall or refuse, for the outbox's tests."""

from __future__ import annotations

import asyncio
import email
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from facility.core import channels
from tests.conftest import free_port


class StallingHandler:
    """Keeps every message it is handed, then waits `stall` seconds before answering `reply`."""

    def __init__(self, stall: float = 0.0, reply: str = "250 OK") -> None:
        self.stall = stall
        self.reply = reply
        self.received: list[email.message.Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        # Kept on arrival: a server that took the message but whose answer never reached the
        # client (it stalled past the client's timeout) still delivers it.
        self.received.append(email.message_from_bytes(envelope.content))
        await asyncio.sleep(self.stall)
        return self.reply

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.received]


@contextmanager
def smtp_server(handler: StallingHandler) -> Iterator[channels.MailSettings]:
    """Serve `handler` on a free port; yields mail settings that point at it."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield channels.MailSettings(host="127.0.0.1", port=port, starttls=False, sender="facility@campus.example")
    finally:
        controller.stop()
