"""Content every install has: `facility db upgrade` on an empty database seeds it, once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, func, select

from facility.booking.models import FeeSchedule
from facility.booking.pricing import VAT_PERCENT
from facility.content import upgrade_and_seed
from facility.core.db import get_engine
from facility.maintenance.models import InspectionTemplate, InspectionTemplateVersion
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
def empty_postgresql() -> Iterator[str]:
    """A brand-new PostgreSQL database with no tables at all."""
    name = f"facility_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_on_an_empty_postgresql_seeds_templates_and_fees_once(empty_postgresql: str) -> None:
    first = upgrade_and_seed(empty_postgresql)
    assert first["inspection templates"] == 13 and first["fee schedules added"] > 0
    with Session(get_engine(empty_postgresql)) as session:
        templates = session.exec(select(InspectionTemplate)).all()
        assert len(templates) == 13
        assert all(t.legal_basis and t.cadence and t.items and t.version == 1 for t in templates)
        lecture = session.exec(select(FeeSchedule).where(FeeSchedule.room_kind == "lecture_room")).one()
        assert lecture.hourly > 0 and lecture.equipment_fees
        # Editable: a campus's own amount survives the next upgrade.
        lecture.hourly = 12_345
        session.add(lecture)
        session.commit()
    second = upgrade_and_seed(empty_postgresql)
    assert second == {"inspection templates": 13, "fee schedules added": 0}
    with Session(get_engine(empty_postgresql)) as session:
        assert session.exec(select(func.count()).select_from(InspectionTemplateVersion)).one() == 13
        fees = session.exec(select(FeeSchedule).where(FeeSchedule.room_kind == "lecture_room")).one()
        assert fees.hourly == 12_345
    assert VAT_PERCENT == 10
