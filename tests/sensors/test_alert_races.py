"""Twenty-four staff press "acknowledge" on one alert at once: one wins, the rest get 409, one audit row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, func, select

from facility.core.config import Settings
from facility.core.models import AuditEntry, Role
from tests.booking.test_races import RACERS, codes, race
from tests.conftest import serve_app
from tests.factories import make_user
from tests.sensors.factories import make_alert

pytestmark = pytest.mark.slow


@pytest.fixture
def served(settings: Settings) -> Iterator[str]:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("races are PostgreSQL's to prove; SQLite serialises every write")
    with serve_app(settings) as url:
        yield url


def test_simultaneous_acknowledges_count_once(session: Session, served: str) -> None:
    alert = make_alert(session)
    crews = [make_user(session, role=Role.crew) for _ in range(RACERS)]
    path = f"/api/v1/alerts/{alert.id}/acknowledge"
    responses = race(served, [("POST", path, {"note": f"{n}"}, crew) for n, crew in enumerate(crews)])
    assert codes(responses) == [200] + [409] * (RACERS - 1)
    rows = session.exec(
        select(func.count()).where(col(AuditEntry.action) == "alert.acknowledge", AuditEntry.entity_id == str(alert.id))
    ).one()
    assert rows == 1
