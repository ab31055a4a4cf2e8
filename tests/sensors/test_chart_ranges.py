"""Long charts show the spread the mean hides, bookings under the occupancy chart, and a zoomed
from..to chosen by links or a form (server-rendered; bad ranges refused with a message)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from facility.booking.models import Booking
from facility.core.db import utcnow
from facility.core.errors import InvalidInput
from facility.core.models import Role
from facility.sensors.chart_range import chart_range, local_text
from facility.sensors.charts import line_chart
from facility.sensors.store import Point
from facility.sensors.store.base import bucket_means
from facility.sensors.views import WINDOWS
from tests.factories import browser_login, make_room, make_user
from tests.sensors.factories import make_device, write_readings

SEOUL = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_averaged_windows_keep_their_minimum_and_maximum_and_draw_a_band() -> None:
    raw = [Point(T0 + timedelta(minutes=m), v) for m, v in ((0, 400), (10, 1600), (20, 700), (70, 500), (80, 520))]
    hourly = bucket_means(raw, T0, timedelta(hours=1))
    assert [(p.value, p.low, p.high) for p in hourly] == [(900, 400, 1600), (510, 500, 520)]
    svg = line_chart(hourly, T0, T0 + timedelta(hours=2), UTC, metric="co2", label="CO₂")
    assert svg.count('class="spread"') == 1 and "(400–1,600)</title>" in svg
    assert "1,600" in svg  # the axis reaches the maximum, not only the mean
    flat = line_chart(raw, T0, T0 + timedelta(hours=2), UTC, metric="co2", label="CO₂")
    assert 'class="spread"' not in flat  # raw points have no band


def test_booked_intervals_are_shaded_clipped_and_titled_in_local_time() -> None:
    booked = [(T0 - timedelta(hours=1), T0 + timedelta(hours=1)), (T0 + timedelta(hours=5), T0 + timedelta(hours=6))]
    svg = line_chart([], T0, T0 + timedelta(hours=4), SEOUL, metric="occupancy", label="Occupied", booked=booked)
    assert svg.count('class="booked"') == 1  # the second lies outside the chart
    assert 'x="52.0"' in svg and "08:00–10:00" in svg  # clipped on the left, titled in Seoul time


def test_chart_range_presets_custom_ranges_zoom_links_and_refusals() -> None:
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 12:00 in Seoul
    preset = chart_range(WINDOWS, "bogus", "", "", SEOUL, now)
    assert (preset.window, preset.end - preset.start) == ("24h", timedelta(hours=24))
    chosen = chart_range(WINDOWS, "", "2026-12-06T09:00", "2026-12-06T13:00", SEOUL, now)
    assert chosen.window == "" and chosen.start == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    links = chosen.zoom_links(SEOUL, now)
    assert links["zoom_in"] == "?start=2026-12-06T10%3A00&end=2026-12-06T12%3A00"
    assert links["earlier"] == "?start=2026-12-06T07%3A00&end=2026-12-06T11%3A00"
    assert links["zoom_out"] == "?start=2026-12-06T07%3A00&end=2026-12-06T15%3A00"
    assert "later" not in preset.zoom_links(SEOUL, now)  # a range ending now has no later
    assert local_text(chosen.end, SEOUL) == "2026-12-06T13:00"
    for start, end, words in (
        ("2026-12-06T13:00", "2026-12-06T09:00", "30분"),
        ("yesterday", "2026-12-06T09:00", "예:"),
        ("2026-12-06T09:00", "", "모두"),
        ("2024-01-01T00:00", "2026-12-06T09:00", "1년"),
        ("2027-01-01T00:00", "2027-01-02T00:00", "과거"),
    ):
        with pytest.raises(InvalidInput, match=words):
            chart_range(WINDOWS, "", start, end, SEOUL, now)


def test_room_page_zooms_and_shades_bookings_under_occupancy(
    client: TestClient, session: Session, engine: Engine
) -> None:
    room = make_room(session)
    now = utcnow().replace(second=0, microsecond=0)
    device = make_device(session, room=room, metrics="occupancy,co2")
    write_readings(
        engine,
        device,
        {
            "occupancy": [(now - timedelta(minutes=10 * i), i % 2) for i in range(12)],
            "co2": [(now - timedelta(minutes=10 * i), 500 + i * 30) for i in range(12)],
        },
    )
    session.add(
        Booking(
            room_id=room.id,
            title="교원 연수",
            status="confirmed",  # type: ignore[arg-type]
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
        )
    )
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    start, end = local_text(now - timedelta(hours=2), SEOUL), local_text(now, SEOUL)
    page = client.get(f"/sensors/rooms/{room.id}", params={"start": start, "end": end})
    assert page.status_code == 200 and page.text.count('<svg class="chart"') == 2
    assert page.text.count('class="booked"') == 1  # under occupancy, not under CO₂
    assert 'data-zoom="zoom_in"' in page.text and f'value="{start}"' in page.text
    assert "예약 " in page.text and "음영 세로 띠: 예약됨" in page.text
    reversed_ = client.get(f"/sensors/rooms/{room.id}", params={"start": end, "end": start})
    assert reversed_.status_code == 422 and "30분" in reversed_.text
