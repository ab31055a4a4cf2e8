"""Device profiles on payloads shaped as each project documents them (tests/sensors/payloads.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from facility.sensors.profiles import Outcome, ProfileSet, Subscription, build_profiles
from facility.sensors.profiles.base import ProfileConfigError
from facility.sensors.profiles.mapping import MappingFileError, load_mapping
from tests.sensors import payloads as p

NOW = datetime.now(UTC)


def parse(profiles: ProfileSet, message: tuple[str, str]) -> Outcome:
    return profiles.parse(message[0], message[1].encode(), NOW)


def values(outcome: Outcome) -> dict[str, float]:
    return {r.metric: round(r.value, 3) for r in outcome.readings}


@pytest.fixture
def profiles() -> ProfileSet:
    return ProfileSet.default()


def test_zigbee2mqtt_state_availability_and_bridge(profiles: ProfileSet) -> None:
    air = parse(profiles, p.Z2M_AIR)
    assert air.profile == "zigbee2mqtt" and {r.device for r in air.readings} == {"zigbee2mqtt:E-101 air"}
    assert values(air) == {"temperature": 23.4, "humidity": 48.1, "co2": 712, "pm25": 9, "voc": 120, "battery": 91}
    assert values(parse(profiles, p.Z2M_DOOR)) == {"door": 1.0, "battery": 100}  # contact false: open
    assert values(parse(profiles, p.Z2M_LEAK)) == {"water_leak": 1.0, "battery": 88}
    assert values(parse(profiles, p.Z2M_PLUG)) == {"power": 41.5, "energy": 1.27, "voltage": 229, "current": 0.19}
    offline = parse(profiles, p.Z2M_AVAILABILITY).status
    assert offline is not None and (offline.device, offline.online) == ("zigbee2mqtt:E-101 air", False)
    bridge = parse(profiles, p.Z2M_BRIDGE).status
    assert bridge is not None and bridge.online and bridge.profile == "zigbee2mqtt"
    assert parse(profiles, ("zigbee2mqtt/E-101 plug/set", '{"state": "ON"}')) == Outcome("zigbee2mqtt")


def test_tasmota_sensor_objects_temp_unit_and_lwt(profiles: ProfileSet) -> None:
    scd30 = parse(profiles, p.TASMOTA_SCD30)
    assert {r.device for r in scd30.readings} == {"tasmota:tasmota_E102"}
    assert values(scd30) == {"temperature": 22.5, "humidity": 41.2, "co2": 820}  # 72.5 °F, CarbonDioxide first
    assert values(parse(profiles, p.TASMOTA_ENERGY)) == {
        "power": 57,
        "energy": 12.345,
        "voltage": 228,
        "current": 0.262,
    }
    lwt = parse(profiles, p.TASMOTA_LWT).status
    assert lwt is not None and (lwt.device, lwt.online) == ("tasmota:tasmota_E102", False)


def test_shelly_rpc_notifications_status_topics_and_online(profiles: ProfileSet) -> None:
    full = parse(profiles, p.SHELLY_FULL_STATUS)
    assert values(full) == {"battery": 87, "battery_voltage": 5.9, "humidity": 42.2, "temperature": 19.8}
    assert {r.device for r in full.readings} == {f"shelly:{p.SHELLY_HT}"}
    assert abs(full.readings[0].ts.timestamp() - p.EPOCH_S) < 0.01  # params.ts, Unix seconds
    assert values(parse(profiles, p.SHELLY_NOTIFY)) == {"temperature": 21.5}
    switch = parse(profiles, p.SHELLY_SWITCH)
    # Wh -> kWh; the relay's own temperature is its health, not the room's
    assert values(switch) == {
        "power": 85.3,
        "voltage": 231.2,
        "current": 0.41,
        "energy": 1.52,
        "chip_temperature": 44.1,
    }
    online = parse(profiles, p.SHELLY_ONLINE).status
    assert online is not None and (online.device, online.online) == (f"shelly:{p.SHELLY_HT}", False)
    event = '{"src": "x", "method": "NotifyEvent", "params": {"events": [{"component": "input:0"}]}}'
    assert not parse(profiles, (f"{p.SHELLY_HT}/events/rpc", event)).readings


def test_home_assistant_discovery_subscribes_and_renders_templates(profiles: ProfileSet) -> None:
    announced: list[Subscription] = []
    profiles.on_announce = announced.extend
    assert parse(profiles, p.ESPHOME_STATE).rejections[0].reason == "no_profile"  # not announced yet
    assert parse(profiles, p.ESPHOME_DISCOVERY).profile == "homeassistant"
    assert [s.filter for s in announced] == ["esp-e103/sensor/co2/state", "esp-e103/status"]
    assert Subscription("esp-e103/status") in profiles.subscriptions()
    state = parse(profiles, p.ESPHOME_STATE)
    assert values(state) == {"co2": 955} and state.readings[0].device == "homeassistant:esp-e103"
    status = parse(profiles, p.ESPHOME_STATUS).status
    assert status is not None and not status.online
    parse(profiles, p.HA_DISCOVERY)
    assert values(parse(profiles, p.HA_STATE)) == {"temperature": 23.2}
    assert parse(profiles, p.HA_STATE).readings[0].device == "homeassistant:bedroom01ae"


def test_a_template_cannot_escape_the_sandbox(profiles: ProfileSet) -> None:
    parse(profiles, p.HA_HOSTILE)
    (rejection,) = parse(profiles, ("evil/state", "1")).rejections
    assert rejection.reason == "bad_template" and "SecurityError" in rejection.detail


def test_lorawan_servers_decoded_payloads(profiles: ProfileSet) -> None:
    up = parse(profiles, p.CHIRPSTACK_UP)
    assert up.readings[0].device == "chirpstack:0101010101010101"
    assert values(up) == {"temperature": 24.1, "humidity": 38.5, "co2": 1043, "pm25": 12, "voc": 210, "battery": 95}
    assert up.readings[0].ts.microsecond == 775023  # nanoseconds cut to what Python keeps
    (no_codec,) = parse(profiles, p.CHIRPSTACK_NO_CODEC).rejections
    assert no_codec.reason == "no_decoded_payload"
    ttn = parse(profiles, p.TTN_UP)
    assert ttn.readings[0].device == "ttn:eui-70b3d57ed005e105"
    assert values(ttn) == {"temperature": 21.7, "humidity": 45, "co2": 640, "illuminance": 320, "occupancy": 1}


def test_unreadable_messages_say_which_profile_and_why(profiles: ProfileSet) -> None:
    bad_json = parse(profiles, ("zigbee2mqtt/E-101 air", "{not json"))
    assert (bad_json.profile, bad_json.rejections[0].reason) == ("zigbee2mqtt", "bad_json")
    range_ = parse(profiles, ("tele/t1/SENSOR", '{"AM2301": {"Temperature": 400, "Humidity": 40}}'))
    assert values(range_) == {"humidity": 40} and range_.rejections[0].reason == "out_of_range"
    nobody = parse(profiles, ("somewhere/else", "1"))
    assert (nobody.profile, nobody.rejections[0].reason) == ("", "no_profile")


def test_profiles_are_chosen_by_name_and_subscribe_only_to_their_filters() -> None:
    chosen = ProfileSet(build_profiles(["tasmota", "esphome"]))
    assert [s.filter for s in chosen.subscriptions()] == [
        "tele/+/SENSOR",
        "tele/+/LWT",
        "tele/+/RESULT",
        "tele/+/+/SENSOR",
        "+/tele/+/LWT",  # a Tasmota on a FullTopic nobody configured: a dead letter, not silence
        "+/tele/LWT",
        "+/+/tele/LWT",
        "homeassistant/+/+/config",
        "homeassistant/+/+/+/config",
    ]
    assert not any(s.shared for s in chosen.subscriptions() if s.filter.startswith("homeassistant"))
    assert parse(chosen, p.Z2M_AIR).rejections[0].reason == "no_profile"
    with pytest.raises(ProfileConfigError, match="FACILITY_DEVICE_PROFILES.*zigbee"):
        build_profiles(["zigbee"])


MAPPING = """\
devices:
  - topic: "plant/{building}/{room}/{device}/telemetry"
    ts: time
    metrics:
      temperature: {path: data.temp, unit: "°F"}
      co2: {path: "sensors[0].co2"}
"""


def test_a_mapping_file_maps_topics_and_json_paths(tmp_path: Path) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text(MAPPING)
    profiles = ProfileSet(build_profiles(["facility"], str(path)))
    body = f'{{"time": "{NOW.isoformat()}", "data": {{"temp": 68}}, "sensors": [{{"co2": 500}}]}}'
    outcome = parse(profiles, ("plant/edu/E-105/ahu-7/telemetry", body))
    assert outcome.profile == "mapping" and values(outcome) == {"temperature": 20.0, "co2": 500}
    reading = outcome.readings[0]
    assert (reading.device, reading.building, reading.room) == ("mapping:ahu-7", "edu", "E-105")
    assert parse(profiles, ("plant/edu/E-105/ahu-7/telemetry", "{}")).rejections[0].reason == "no_metrics"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (MAPPING.replace("co2:", "carbon:"), 6, "unknown metric 'carbon'"),
        (MAPPING.replace('"°F"', "furlongs"), 5, "does not accept unit 'furlongs'"),
        (MAPPING.replace("/{device}/", "/dev/"), 2, r"needs a \{device\} level"),
        (MAPPING.replace("sensors[0].co2", "sensors[x"), 6, "bad JSON path"),
        (MAPPING.replace("    ts: time", "    ts: [time"), 4, ""),
    ],
)
def test_an_invalid_mapping_file_names_its_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text(text)
    with pytest.raises(MappingFileError, match=rf"devices.yaml:{line}: .*{problem}"):
        load_mapping(str(path))
