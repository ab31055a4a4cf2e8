"""The mapping file's plant section and the profile reading the pollers' messages (no devices)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from facility.sensors.profiles import ProfileSet, build_profiles
from facility.sensors.profiles.mapping import MappingFileError, load_mapping
from facility.sensors.profiles.plant import PlantProfile, load_plant
from gateway.plant.bacnet import written_value
from gateway.plant.modbus import registers_for
from gateway.plant.senders import plant_reports, written

NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
PLANT = """\
plant:
  modbus:
    - device: meter-B1
      host: 10.0.5.20
      building: edu
      room: E-PLANT
      points:
        energy: {register: 0, type: uint32, scale: 0.01, unit: kWh}
        voltage: {register: 4, scale: 0.1}
        running: {coil: 0, writable: true}
        power: {input: 2, type: float32, unit: kW, interval: 60, device: "meter-B1#2", room: E-101}
  bacnet:
    - device: ahu-1
      address: "10.0.5.30"
      priority: 10
      points:
        supply_air_temperature: {object: "analog-input,1", unit: "°F"}
        setpoint: {object: "analog-value, 1", writable: true, priority: 8, channel: setpoint}
        override: {object: "binary-value,2", metric: none, writable: true}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_plant_section_is_read_with_its_defaults(tmp_path: Path) -> None:
    config = load_plant(write(tmp_path, PLANT))
    meter, ahu = config.devices
    assert (meter.protocol, meter.host, meter.port, meter.unit_id, meter.timeout_s) == (
        "modbus",
        "10.0.5.20",
        502,
        1,
        2.0,
    )
    energy, voltage, running, power = meter.points
    assert (energy.table, energy.address, energy.data_type, energy.scale, energy.interval_s) == (
        "register", 0, "uint32", 0.01, 10.0
    )  # fmt: skip
    assert (voltage.data_type, running.table, running.data_type, running.writable) == ("uint16", "coil", "bool", True)
    assert (power.table, power.device, power.room, power.building, power.interval_s) == (
        "input", "meter-B1#2", "E-101", "edu", 60.0
    )  # fmt: skip
    assert (ahu.port, ahu.points[0].priority, ahu.points[1].priority, ahu.points[1].object_id) == (
        47808, 10, 8, "analog-value,1"
    )  # fmt: skip
    assert ahu.points[2].metric is None and ahu.points[1].channel == "setpoint" and ahu.points[0].channel is None
    # A file with only plant points has no MQTT mappings, and its profiles are never subscribed.
    assert load_mapping(write(tmp_path, PLANT)) == []
    profiles = ProfileSet(build_profiles(["facility"], write(tmp_path, PLANT)))
    assert [s.filter for s in profiles.subscriptions()] == ["facility/#"]
    assert profiles.profile_of("$plant/modbus/meter-B1") == "modbus"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("host: 10.0.5.20", "hots: 10.0.5.20"), ":4: unknown key 'hots'"),
        (("running: {coil: 0, writable: true}", "running: {coil: 0, type: float32}"), ":10: a coil or discrete input"),
        (("energy: {", "energy_total: {"), ":8: unknown metric 'energy_total'"),
        (("priority: 10", "priority: 17"), ":15: priority must be 1 to 16"),
        (("{input: 2,", "{input: 2, writable: true,"), ":11: an input is read-only"),
        (("device: ahu-1", "device: meter-B1\n      protocol_is: bacnet"), ":14: unknown key 'protocol_is'"),
        (("analog-input,1", "analog-input"), ':17: object is "<type>,<instance>"'),
        (("scale: 0.1}", "scale: 0}"), ":9: scale must not be 0"),
        (('"analog-input,1", unit', '"analog-input,1", channel: setpoint, unit'), ":17: a channel"),
    ],
)
def test_a_bad_plant_section_names_its_line(tmp_path: Path, change: tuple[str, str], problem: str) -> None:
    with pytest.raises(MappingFileError, match=problem.replace("(", r"\(")):
        load_plant(write(tmp_path, PLANT.replace(*change)))


def test_the_plant_profile_scales_converts_and_rejects_per_point(tmp_path: Path) -> None:
    config = load_plant(write(tmp_path, PLANT))
    modbus, bacnet = PlantProfile("modbus", [config.devices[0]]), PlantProfile("bacnet", [config.devices[1]])
    body = {
        "ts": int(NOW.timestamp() * 1000),
        "values": {"energy": 1234567, "voltage": 2298, "running": True, "power": "nan", "ghost": 1},
        "errors": {"current": "exception 2: illegal address"},
        "online": True,
    }
    topic = "$plant/modbus/meter-B1"
    parsed = modbus.parse(topic, topic.split("/"), json.dumps(body).encode(), NOW)
    assert {(r.device, r.metric, r.value, r.room) for r in parsed.readings} == {
        ("modbus:meter-B1", "energy", 12345.67, "E-PLANT"),
        ("modbus:meter-B1", "voltage", 229.8, "E-PLANT"),
        ("modbus:meter-B1", "running", 1.0, "E-PLANT"),
    }
    assert parsed.readings[0].ts == NOW
    assert sorted(r.reason for r in parsed.rejections) == ["bad_value", "read_failed", "unknown_point"]
    assert parsed.status is not None and parsed.status.online and parsed.status.device == "modbus:meter-B1"
    topic = "$plant/bacnet/ahu-1"
    parsed = bacnet.parse(topic, topic.split("/"), b'{"values": {"supply_air_temperature": 59.0, "override": 1}}', NOW)
    assert [(r.device, r.metric, r.value) for r in parsed.readings] == [
        ("bacnet:ahu-1", "supply_air_temperature", 15.0)
    ]


def test_written_values_carry_the_scale_and_fit_the_type(tmp_path: Path) -> None:
    meter, ahu = load_plant(write(tmp_path, PLANT)).devices
    energy, voltage = meter.points[0], meter.points[1]
    assert registers_for(voltage, 229.8) == [2298]
    assert registers_for(energy, 12345.67) == [0x0012, 0xD687]
    with pytest.raises(ValueError, match="does not fit a uint16"):
        registers_for(voltage, -1.0)
    setpoint, override = ahu.points[1], ahu.points[2]
    assert written_value(setpoint, 21.5) == 21.5 and written_value(override, True) == "active"
    assert type(written_value(setpoint, None)).__name__ == "Null"


def test_a_poll_reports_its_channels_in_their_canonical_text(tmp_path: Path) -> None:
    meter, ahu = load_plant(
        write(tmp_path, PLANT.replace("coil: 0, writable: true", "coil: 0, writable: true, channel: relay"))
    ).devices
    assert plant_reports(meter, meter.points, {"running": False, "energy": 5}) == [("modbus:meter-B1", "relay", "off")]
    # A reading the channel cannot hold (a setpoint is 5-35 °C) confirms nothing.
    assert plant_reports(ahu, ahu.points, {"setpoint": 21.5}) == [("bacnet:ahu-1", "setpoint", "21.5")]
    assert plant_reports(ahu, ahu.points, {"setpoint": 48.0}) == []
    assert written("relay:1", "on") is True and written("setpoint", "21.5") == 21.5
