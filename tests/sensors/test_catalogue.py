"""One definition per metric: bands, chart guides, alert rules and page formatting read it."""

from __future__ import annotations

from datetime import UTC, datetime

from facility.sensors import alerts
from facility.sensors.catalogue import BOARD_METRICS, METRICS, band
from facility.sensors.charts import line_chart
from facility.sensors.views import fmt, unit_of


def test_the_co2_limit_is_read_by_bands_guides_and_the_alert_rule() -> None:
    co2 = METRICS["co2"]
    (rule,) = [r for r in alerts.RULES if r.name == "co2_high"]
    assert co2.limit is not None and rule.above == co2.limit.above == 1000
    assert rule.hysteresis == co2.limit.hysteresis and "1,000 ppm" in rule.message
    assert co2.guides == (1000,)
    assert band("co2", 1000) == "fair" and band("co2", 1001) == "poor"


def test_a_changed_limit_moves_the_rule_and_the_guide_together(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from facility.sensors.catalogue import Limit

    monkeypatch.setitem(METRICS, "co2", replace(METRICS["co2"], limit=Limit(below=300, above=900, hysteresis=50)))
    rule = alerts.default_rule("co2_high", "co2", "warning", "CO2 above {above} {unit}")
    assert (rule.above, rule.below, rule.hysteresis, rule.message) == (900, 300, 50, "CO2 above 900 ppm")
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    svg = line_chart([], start, end, UTC, metric="co2", label="CO2")  # type: ignore[arg-type]
    assert svg.count('class="guide"') == 2


def test_pages_format_with_the_metrics_decimals_and_units() -> None:
    assert fmt("temperature", 22.456) == "22.5"
    assert fmt("ph", 7.123) == "7.12"
    assert fmt("co2", 1234.4) == "1,234"
    assert unit_of("door") == "" and unit_of("co2") == "ppm"
    assert BOARD_METRICS == ("temperature", "humidity", "co2", "pm25", "people_count")


def test_every_metric_has_a_label_and_a_range() -> None:
    for name, metric in METRICS.items():
        assert metric.label and metric.title() and metric.low < metric.high, name
