"""Content every install has, whatever its data: seeded by `facility db upgrade` after the migrations.

The 13 statutory inspection templates (versioned; a template edited on site is left alone) and a
default fee schedule per room kind (KRW before VAT; created only where a kind has none, so a
campus's own fees are never overwritten). The metric catalogue and its default alert rules are
code (`facility/sensors/catalogue.py`), present in every install without rows.
"""

from __future__ import annotations

from sqlmodel import Session, select

from facility.booking.demo import DEMO_FEES, EQUIPMENT_FEES
from facility.booking.models import FeeSchedule
from facility.core.config import DatabaseLimits
from facility.core.db import DEFAULT_LIMITS, get_engine, session_scope, upgrade_database
from facility.core.i18n import gettext_noop as N_
from facility.maintenance import catalogue


def seed_default_fees(session: Session) -> int:
    """A fee schedule for every priced room kind that has none yet; returns how many were made."""
    have = set(session.exec(select(FeeSchedule.room_kind)).all())
    made = 0
    for kind, (hourly, half_day, full_day, deposit) in DEMO_FEES.items():
        if kind in have:
            continue
        session.add(
            FeeSchedule(
                room_kind=kind,
                hourly=hourly,
                half_day=half_day,
                full_day=full_day,
                deposit=deposit,
                equipment_fees=dict(EQUIPMENT_FEES),
            )
        )
        made += 1
    session.flush()
    return made


def seed_content(session: Session) -> dict[str, int]:
    """Create or refresh the shipped content (idempotent); returns counts."""
    templates = catalogue.seed_templates(session)
    return {N_("inspection templates"): len(templates), N_("fee schedules added"): seed_default_fees(session)}


def upgrade_and_seed(url: str, limits: DatabaseLimits = DEFAULT_LIMITS) -> dict[str, int]:
    """Migrate the database to head, then seed the shipped content (the CLI passes its settings'
    limits, as `engine_for` does)."""
    upgrade_database(url)
    with session_scope(get_engine(url, limits)) as session:
        return seed_content(session)
