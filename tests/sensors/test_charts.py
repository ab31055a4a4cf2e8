"""Charts people can read: a gap is a gap, each point has its time and value, guides follow the
room's alert rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from facility.sensors.alerts import Override, RuleSet
from facility.sensors.charts import line_chart, segments
from facility.sensors.store import Point
from facility.sensors.views import alert_limits

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def _points(minutes: list[int]) -> list[Point]:
    return [Point(T0 + timedelta(minutes=m), 900 + m) for m in minutes]


def test_an_outage_splits_the_line_and_every_point_has_a_tooltip() -> None:
    points = _points([0, 5, 10, 15, 60, 65, 70, 200])
    assert [len(run) for run in segments(points)] == [4, 3, 1]
    svg = line_chart(points, T0, T0 + timedelta(hours=4), UTC, metric="co2", label="CO₂")
    assert svg.count('class="series"') == 2 and svg.count('class="series-dot"') == 1
    assert svg.count("<title>") == len(points) and "<title>00:15 · 915 ppm</title>" in svg


def test_guides_are_the_rooms_limits_in_force() -> None:
    rules = RuleSet((Override("co2_high", room_kind="lecture_room", above=1500),))
    assert alert_limits(rules, "co2", "lecture_room", 1) == [1500]
    assert alert_limits(RuleSet(), "co2", "lecture_room", 1) == [1000]
    assert alert_limits(rules, "water_leak", "lecture_room", 1) is None
    svg = line_chart(_points([0, 5]), T0, T0 + timedelta(hours=1), UTC, metric="co2", label="CO₂", guides=[1500])
    assert svg.count('class="guide"') == 1


def test_demo_history_covers_every_metric_the_demo_shows() -> None:
    from facility.sensors.catalogue import METRICS
    from facility.sensors.demo_devices import ENV, DemoDevice
    from facility.sensors.demo_history import history_readings
    from facility.sensors.simulator import SEOUL

    room = DemoDevice("env-E-201", "edu", "E-201", 1, "lecture_room", 40, ENV)
    today = datetime(2026, 12, 7, tzinfo=SEOUL)
    readings = history_readings([room], today)
    by_metric: dict[str, list[float]] = {}
    for reading in readings:
        by_metric.setdefault(reading.metric, []).append(reading.value)
    assert set(by_metric) == set(ENV)
    for metric, values in by_metric.items():
        assert len(values) > 300 and all(METRICS[metric].in_range(v) for v in values), metric
    assert max(by_metric["people_count"]) > 0 and min(by_metric["people_count"]) == 0
