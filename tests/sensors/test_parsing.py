"""The topic and payload parser: every accepted shape, every rejection reason, random input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facility.sensors.parsing import Rejection, parse_message

NOW = datetime(2026, 11, 25, 3, 0, 0, 123456, tzinfo=UTC)
TOPIC = "facility/edu/E-101/env-E-101/temperature"


def test_bare_number_gets_receive_time_to_the_microsecond() -> None:
    parsed = parse_message(TOPIC, b"22.5", NOW)
    (reading,) = parsed.readings
    assert (reading.device, reading.building, reading.room, reading.metric) == (
        "env-E-101",
        "edu",
        "E-101",
        "temperature",
    )
    assert reading.value == 22.5 and reading.ts == NOW and reading.ts.microsecond == 123456


def test_json_with_rfc3339_ts_and_unit_is_converted() -> None:
    body = {"value": 77, "unit": "F", "ts": "2026-11-25T12:00:00.5+09:00"}
    (reading,) = parse_message(TOPIC, json.dumps(body).encode(), NOW).readings
    assert reading.value == pytest.approx(25.0)
    assert reading.ts == datetime(2026, 11, 25, 3, 0, 0, 500000, tzinfo=UTC)


def test_json_with_epoch_millis() -> None:
    millis = int(NOW.timestamp() * 1000)
    (reading,) = parse_message(
        TOPIC.replace("temperature", "power"), json.dumps({"value": 1.5, "unit": "kW", "ts": millis}).encode(), NOW
    ).readings
    assert reading.value == 1500.0
    assert reading.ts == NOW.replace(microsecond=123000)


def test_multi_metric_keeps_good_metrics_and_reports_bad_ones() -> None:
    body = {
        "ts": NOW.isoformat(),
        "metrics": {"temperature": 21.0, "co2": {"value": 640, "unit": "ppm"}, "humidity": 140, "flux": 3},
    }
    parsed = parse_message("facility/edu/E-101/env-E-101", json.dumps(body).encode(), NOW)
    assert sorted((r.metric, r.value) for r in parsed.readings) == [("co2", 640.0), ("temperature", 21.0)]
    assert sorted(r.reason for r in parsed.rejections) == ["out_of_range", "unknown_metric"]


def test_state_words_and_status_topic() -> None:
    (door,) = parse_message("facility/edu/E-101/door-1/door", b"open", NOW).readings
    assert door.value == 1.0
    (fault,) = parse_message("facility/edu/E-101/ahu-1/equipment_status", b'{"value": "fault"}', NOW).readings
    assert fault.value == 2.0
    status = parse_message("facility/edu/E-101/env-E-101/status", b"offline", NOW).status
    assert status is not None and status.online is False and status.device == "env-E-101"


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("facility/edu/E-101", b"1", "bad_topic"),
        ("other/edu/E-101/d/temperature", b"1", "bad_topic"),
        ("facility/edu/E 101/d/temperature", b"1", "bad_topic"),
        (TOPIC, b"", "empty_payload"),
        (TOPIC, b"\xff\xfe", "undecodable"),
        (TOPIC, b"warm", "bad_value"),
        (TOPIC, b"NaN", "bad_value"),
        (TOPIC, b'{"value": 1e999}', "bad_value"),
        (TOPIC, b"{not json", "bad_json"),
        (TOPIC, b"150", "out_of_range"),
        (TOPIC, b'{"value": 20, "unit": "furlongs"}', "unknown_unit"),
        (TOPIC, b'{"value": 20, "ts": "2026-11-25T12:00:00"}', "bad_ts"),
        (TOPIC, b'{"value": 20, "ts": "2030-01-01T00:00:00Z"}', "ts_out_of_range"),
        (TOPIC, b'{"value": 20, "ts": 1e300}', "bad_ts"),
        ("facility/edu/E-101/d/flux", b"1", "unknown_metric"),
        ("facility/edu/E-101/d/status", b"sleepy", "bad_status"),
        ("facility/edu/E-101/d", b'{"metrics": {}}', "bad_json"),
        (TOPIC, b"1" * 20_000, "too_large"),
    ],
)
def test_rejections_carry_a_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(Rejection) as caught:
        parse_message(topic, payload, NOW)
    assert caught.value.reason == reason


segment = st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,8}", fullmatch=True), st.text(max_size=6))
metric = st.one_of(st.sampled_from(["temperature", "co2", "door", "status", "ph", "energy"]), segment)
topics = st.one_of(
    st.text(max_size=40),
    st.builds(lambda *p: "/".join(p), st.just("facility"), segment, segment, segment, metric),
    st.builds(lambda *p: "/".join(p), st.just("facility"), segment, segment, segment),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
json_bodies = st.fixed_dictionaries(
    {},
    optional={
        "value": json_values,
        "ts": json_values,
        "unit": json_values,
        "metrics": st.dictionaries(metric, json_values, max_size=4) | json_values,
    },
)
payloads = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda v: json.dumps(v).encode(), json_bodies),
    st.builds(lambda v: json.dumps(v, allow_nan=True).encode(), json_values),
    st.floats().map(lambda f: repr(f).encode()),
)


@settings(max_examples=400, deadline=None)
@given(topic=topics, payload=payloads, offset=st.integers(-(10**6), 10**6))
def test_parser_never_raises_anything_but_a_rejection(topic: str, payload: bytes, offset: int) -> None:
    received = NOW + timedelta(seconds=offset)
    try:
        parsed = parse_message(topic, payload, received)
    except Rejection as rejection:
        assert rejection.reason
        return
    for reading in parsed.readings:
        assert reading.ts.tzinfo is not None
        assert reading.value == reading.value  # never NaN
    assert parsed.readings or parsed.status is not None


FAST_LANE_PAYLOADS = [
    b'{"value": 21, "ts": "2026-11-25T02:59:59.000001+00:00"}',
    b'{"value": 22.5}',
    b'{"value": 22.5, "ts": 1795999999000}',
    b'{"value": 22.5, "unit": "degF"}',
    b'{"value": "22.5"}',
    b'{"value": true}',
    b'{"value": NaN}',
    b'{"value": 99999}',
    b'{"value": 22.5, "ts": "2026-11-25T02:59:59"}',
    b'{"value": 22.5, "ts": "2030-01-01T00:00:00Z"}',
    b'{"value": 22.5, "ts": " 2026-11-25T03:59:59Z "}',
    b'{"value": 22.5, "ts": "2026-11-25T04:00:00.123457+00:00"}',
    b'{"value": 22.5, "ts": "2025-11-24T03:00:00.123456Z"}',
    b'{"value": 22.5, "ts": "2025-11-24T03:00:00.123455Z"}',
    b'{"value": 22.5, "ts": "2026-11-25T12:00:00+09:00"}',
    b'{"value": 22.5, "ts": "yesterday"}',
    b'{"value": 22.5, "ts": true}',
    b'{"value": 22.5} trailing',
    b' {"value": 22.5} ',
    b'{"other": 1}',
    b"[22.5]",
    b"22.5",
    b"\xff\xfe",
]


@pytest.mark.parametrize("payload", FAST_LANE_PAYLOADS)
def test_the_fast_lane_reads_what_parse_message_reads_or_leaves_it_to_it(payload: bytes) -> None:
    from facility.sensors.parsing import EPOCH, metric_path, read_plain_single

    path = metric_path(TOPIC)
    assert path is not None
    fast = read_plain_single(path, payload, (NOW - EPOCH) // timedelta(microseconds=1))
    try:
        full = parse_message(TOPIC, payload, NOW).readings
    except Rejection:
        full = ()
    assert fast is None or (fast,) == tuple(full)
    if payload.startswith(b'{"value": 21,') or payload == b'{"value": 22.5}':
        assert fast is not None


def test_only_our_metric_topics_take_the_fast_lane() -> None:
    from facility.sensors.parsing import metric_path

    assert metric_path("facility/edu/E-101/env-E-101/status") is None
    assert metric_path("facility/edu/E-101/env-E-101") is None
    assert metric_path("zigbee2mqtt/edu/E-101/env-E-101/temperature") is None
