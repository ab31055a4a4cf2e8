"""The energy domain's scheduled jobs: drive room modes ahead of windows, release no-shows, learn leads."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine

from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.jobs import Job
from facility.energy import drive, learning_job, noshow
from facility.sensors.store import StoreUnavailable, open_store

log = logging.getLogger(__name__)


def drive_rooms(engine: Engine, settings: Settings, now: datetime) -> int:
    """Rooms whose mode changed this tick."""
    store = open_store(settings)
    try:
        with session_scope(engine) as session:
            return len(drive.drive(session, store, now, settings.zone, settings.energy))
    except StoreUnavailable as error:
        log.warning("energy drive skipped: %s", error)
        return 0
    finally:
        store.close()


def release_no_shows(engine: Engine, settings: Settings, now: datetime) -> int:
    """Absent bookings released; their rooms go to economy on the same tick."""
    store = open_store(settings)
    try:
        with session_scope(engine) as session:
            released = noshow.release_absent(session, store, now, settings.zone, settings.energy)
            if released:
                rooms = sorted({b.room_id for b in released})
                drive.drive(session, store, now, settings.zone, settings.energy, room_ids=rooms)
            return len(released)
    except StoreUnavailable as error:
        log.warning("energy no-show release skipped: %s", error)
        return 0
    finally:
        store.close()


def learn_leads(engine: Engine, settings: Settings, now: datetime) -> int:
    store = open_store(settings)
    try:
        with session_scope(engine) as session:
            return learning_job.learn_leads(session, store, now, settings.zone, settings.energy)
    except StoreUnavailable as error:
        log.warning("energy lead learning skipped: %s", error)
        return 0
    finally:
        store.close()


JOBS = [
    Job("energy.drive_rooms", 60, drive_rooms),
    Job("energy.release_no_shows", 60, release_no_shows),
    Job("energy.learn_leads", 6 * 3600, learn_leads),
]
