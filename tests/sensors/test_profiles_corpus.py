"""Every channel of what each family sells, on payloads from its documentation (tests/sensors/corpus.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from facility.sensors.alerts import RULES
from facility.sensors.catalogue import METRICS
from facility.sensors.profiles import Outcome, ProfileSet
from tests.sensors import corpus as c

NOW = datetime.now(UTC)


def parse(profiles: ProfileSet, message: tuple[str, str]) -> Outcome:
    return profiles.parse(message[0], message[1].encode(), NOW)


def channels(outcome: Outcome) -> dict[str, dict[str, float]]:
    """Each device (channel) with its readings, in the catalogue's canonical units."""
    found: dict[str, dict[str, float]] = {}
    for reading in outcome.readings:
        found.setdefault(reading.device, {})[reading.metric] = round(reading.value, 4)
    return found


@pytest.fixture
def profiles() -> ProfileSet:
    return ProfileSet.default()


def test_shelly_three_phase_meter_each_phase_its_own_channel(profiles: ProfileSet) -> None:
    em = parse(profiles, c.SHELLY_EM_STATUS)
    meter = f"shelly:{c.SHELLY_3EM}"
    assert not em.rejections
    assert channels(em) == {
        meter: {"power": 2617.2},
        f"{meter}#a": {"power": 951.2, "voltage": 236.1, "current": 4.029},
        f"{meter}#b": {"power": 950.1, "voltage": 236.2, "current": 4.027},
        f"{meter}#c": {"power": 715.9, "voltage": 236.1, "current": 3.03},
    }
    energy = parse(profiles, c.SHELLY_EM_NOTIFY)  # Wh -> kWh
    assert channels(energy) == {
        meter: {"energy": 4.7791},
        f"{meter}#a": {"energy": 2.7763},
        f"{meter}#b": {"energy": 0.0024},
        f"{meter}#c": {"energy": 2.0004},
    }


def test_shelly_single_phase_meters_and_pm1(profiles: ProfileSet) -> None:
    full = parse(profiles, c.SHELLY_EM1_FULL)
    meter = f"shelly:{c.SHELLY_PROEM}"
    assert not full.rejections
    assert channels(full) == {
        meter: {"power": 621.8, "voltage": 235.2, "current": 2.7, "energy": 3.2141},
        f"{meter}#1": {"power": 110.4, "voltage": 235.2, "current": 0.5, "energy": 0.1505},
    }
    assert channels(parse(profiles, c.SHELLY_PM1)) == {
        "shelly:shellypmmini-543204a1b2c3": {"power": 1327.5, "voltage": 240.2, "current": 6.473, "energy": 11.6793}
    }


def test_tasmota_numbered_probes_and_sensors_of_one_kind_are_channels(profiles: ProfileSet) -> None:
    probes = parse(profiles, c.TASMOTA_DS18B20)
    assert channels(probes) == {
        "tasmota:tasmota_boiler": {"temperature": 12.2},
        "tasmota:tasmota_boiler#DS18B20-2": {"temperature": 21.9},
        "tasmota:tasmota_boiler#DS18B20-3": {"temperature": 22.6},
    }
    assert channels(parse(profiles, c.TASMOTA_SHT3X_DHT11)) == {
        "tasmota:tasmota_E104": {"temperature": 21.3, "humidity": 44.9},
        "tasmota:tasmota_E104#DHT11": {"temperature": 22.0, "humidity": 41.0},
    }


def test_tasmota_energy_arrays_are_one_channel_per_relay(profiles: ProfileSet) -> None:
    relays = parse(profiles, c.TASMOTA_SHELLY25)
    assert not relays.rejections  # was a dead letter on every message
    assert channels(relays) == {
        "tasmota:tasmota_shelly25": {
            "chip_temperature": 52.3,
            "power": 23.6,
            "energy": 0.017,
            "voltage": 232,
            "current": 0.102,
        },
        "tasmota:tasmota_shelly25#2": {"power": 67.2, "current": 0.29},
    }


def test_a_chip_temperature_is_device_health_not_the_rooms(profiles: ProfileSet) -> None:
    node = parse(profiles, c.TASMOTA_ESP32)
    assert channels(node) == {"tasmota:tasmota_E105": {"chip_temperature": 51.7, "temperature": 22.4, "humidity": 47.0}}
    assert METRICS["chip_temperature"].health and METRICS["chip_temperature"].unit == "°C"
    assert METRICS["chip_temperature"].limit is None and not METRICS["temperature"].health


def test_no_room_alert_rule_watches_a_health_metric() -> None:
    health = {name for name, metric in METRICS.items() if metric.health}
    assert health >= {"chip_temperature", "battery_voltage"}
    assert not {rule.metric for rule in RULES} & health


def test_an_array_longer_than_any_meter_does_not_make_devices_without_end(profiles: ProfileSet) -> None:
    flood = parse(profiles, ("tele/t1/SENSOR", '{"ENERGY": {"Power": [' + ", ".join(["1"] * 1000) + "]}}"))
    assert len(channels(flood)) == 8  # tasmota.MAX_CHANNELS


def test_zigbee2mqtt_battery_voltage_in_millivolts_is_device_health(profiles: ProfileSet) -> None:
    aqara = parse(profiles, c.Z2M_AQARA)
    assert channels(aqara) == {
        "zigbee2mqtt:E-106 aqara": {"temperature": 22.14, "humidity": 47.55, "battery": 100, "battery_voltage": 3.005}
    }
    assert METRICS["battery_voltage"].unit == "V" and METRICS["battery_voltage"].health


def test_zigbee2mqtt_attribute_topics_are_read_not_dead_lettered(profiles: ProfileSet) -> None:
    outcomes = [parse(profiles, message) for message in c.Z2M_ATTRIBUTES]
    assert not [r for outcome in outcomes for r in outcome.rejections]
    found: dict[str, dict[str, float]] = {}
    for outcome in outcomes:
        for device, readings in channels(outcome).items():
            found.setdefault(device, {}).update(readings)
    assert found == {
        "zigbee2mqtt:E-101 plug": {"power": 0, "voltage": 229},  # state ON, linkquality: passed over
        "zigbee2mqtt:E-101 door": {"door": 1.0},  # contact false: open
        "zigbee2mqtt:E-106 aqara": {"battery_voltage": 2.995, "temperature": 22.14},
    }


def test_an_event_count_is_presence_not_an_out_of_range_state(profiles: ProfileSet) -> None:
    pir = parse(profiles, c.Z2M_MOTION_COUNT)
    assert not pir.rejections and channels(pir) == {"zigbee2mqtt:E-107 pir": {"occupancy": 1.0, "battery": 80}}
    elsys = parse(profiles, c.TTN_ELSYS)
    assert not elsys.rejections
    assert channels(elsys) == {
        "ttn:elsys-ers-co2": {"temperature": 22.5, "humidity": 41, "illuminance": 39, "occupancy": 1.0, "co2": 776}
    }
    idle = parse(profiles, (c.Z2M_MOTION_COUNT[0], '{"motion": 0}'))
    assert channels(idle) == {"zigbee2mqtt:E-107 pir": {"occupancy": 0.0}}


def test_a_cleared_retained_attribute_is_not_a_dead_letter(profiles: ProfileSet) -> None:
    assert parse(profiles, ("zigbee2mqtt/E-101 plug/power", "")) == Outcome("zigbee2mqtt")
