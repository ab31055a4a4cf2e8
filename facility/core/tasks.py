"""Core's scheduled job: the outbox is sent through every configured channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from facility.core import channels, outbox
from facility.core.config import Settings
from facility.core.jobs import Job


def send_outbox(engine: Engine, settings: Settings, now: datetime) -> int:
    # In the demo the outbox is shown in the UI instead of sent.
    if settings.demo:
        return 0
    return outbox.send_pending(engine, now, channels.configured_channels(settings))


JOBS = [Job("outbox.send", 30, send_outbox)]
