"""Custom base topics and FullTopics, Zigbee2Tasmota's children and LoRaWAN vendors' decoder fields,
on payloads from their documentation (tests/sensors/corpus_networks.py): the stored metric, unit and
value of every channel, device health apart, and fields nobody reads kept, never silent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from facility.sensors.catalogue import METRICS
from facility.sensors.profiles import Outcome, ProfileConfigError, ProfileSet, build_profiles
from facility.sensors.profiles.mapping import MappingFileError
from tests.sensors import corpus_networks as c

NOW = datetime.now(UTC)


def parse(profiles: ProfileSet, message: tuple[str, str]) -> Outcome:
    return profiles.parse(message[0], message[1].encode(), NOW)


def stored(outcome: Outcome) -> dict[str, dict[str, tuple[float, str]]]:
    """Each device (channel) with its readings as stored: value in the metric's unit, and the unit."""
    found: dict[str, dict[str, tuple[float, str]]] = {}
    for reading in outcome.readings:
        found.setdefault(reading.device, {})[reading.metric] = (round(reading.value, 4), METRICS[reading.metric].unit)
    return found


def raw(outcome: Outcome) -> dict[str, dict[str, object]]:
    return {entry.device: entry.fields for entry in outcome.raw}


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return ProfileSet(
        build_profiles(
            ["all"],
            zigbee2mqtt_base_topics=["zigbee2mqtt", c.Z2M_EAST_BASE],
            tasmota_full_topics=["%prefix%/%topic%/", c.TASMOTA_FULL_TOPIC, c.TASMOTA_TOPIC_FIRST],
        )
    )


def test_a_second_zigbee2mqtt_base_topic_is_read_as_its_own_devices(profiles: ProfileSet) -> None:
    east = parse(profiles, c.Z2M_EAST_AQARA)
    assert east.profile == "zigbee2mqtt" and not east.rejections
    assert stored(east) == {
        "zigbee2mqtt:campus/z2m-east/E-201 aqara": {
            "temperature": (21.4, "°C"),
            "humidity": (51.2, "%"),
            "battery": (91, "%"),
        }
    }
    gone = parse(profiles, c.Z2M_EAST_AVAILABILITY)
    assert gone.status and (gone.status.device, gone.status.online) == (
        "zigbee2mqtt:campus/z2m-east/E-201 aqara",
        False,
    )
    default_only = ProfileSet.default()  # the base nobody configured: its bridge's state says so
    assert parse(default_only, c.Z2M_EAST_BRIDGE).rejections[0].reason == "unconfigured_base_topic"
    assert "'campus/z2m-east'" in parse(default_only, c.Z2M_EAST_BRIDGE).rejections[0].detail
    assert parse(default_only, c.TASMOTA_CUSTOM_LWT).rejections[0].reason == "unconfigured_full_topic"
    configured = parse(profiles, c.TASMOTA_CUSTOM_LWT).status
    assert configured and (configured.device, configured.online) == ("tasmota:tasmota_6A65EC", True)


def test_custom_full_topics_and_zigbee2tasmota_children(profiles: ProfileSet) -> None:
    bulb = parse(profiles, c.TASMOTA_ZBINFO_BULB)  # tasmota/%prefix%/%topic%/ + SetOption89
    assert bulb.profile == "tasmota" and not bulb.readings and not bulb.rejections
    assert raw(bulb) == {
        "tasmota:tasmota_6A65EC/main_light_0": {"Power": 1, "Dimmer": 254, "Reachable": True, "LastSeen": 4}
    }
    named = parse(profiles, c.TASMOTA_ZBBRIDGE_NAMED)  # %topic%/%prefix%/, friendly name as key
    assert stored(named) == {"tasmota:zbbridge/THERMO1": {"temperature": (20.9, "°C")}}
    assert stored(parse(profiles, c.TASMOTA_ZB_SNZB02)) == {
        "tasmota:tasmota_zb/0x1067": {"temperature": (19.04, "°C"), "humidity": (70.89, "%")}
    }
    pir = parse(profiles, c.TASMOTA_ZB_SNZB03)
    assert stored(pir) == {"tasmota:tasmota_zb/0x6841": {"occupancy": (0.0, "bool")}}
    assert raw(pir) == {"tasmota:tasmota_zb/0x6841": {"0500?00": "000000000000", "ZoneStatusChange": 0}}
    info = parse(profiles, c.TASMOTA_ZBINFO_BATTERY)
    assert stored(info) == {
        "tasmota:tasmota_zb/0x127C": {"temperature": (23.03, "°C"), "humidity": (56.29, "%"), "battery": (47, "%")}
    }
    dimmer = parse(profiles, c.TASMOTA_ZB_DIMMER)  # SetOption89 on the default FullTopic
    assert not dimmer.readings and raw(dimmer) == {"tasmota:Zigbee/0x5ADF": {"Dimmer": 254}}


def test_full_topic_and_base_topic_settings_are_checked() -> None:
    with pytest.raises(ProfileConfigError, match="needs %prefix% and %topic%"):
        build_profiles(["tasmota"], tasmota_full_topics=["tasmota/%topic%/"])
    with pytest.raises(ProfileConfigError, match="neither text nor a %token%"):
        build_profiles(["tasmota"], tasmota_full_topics=["%prefix%/%topic%/%weird%"])
    with pytest.raises(ProfileConfigError, match="wildcards"):
        build_profiles(["zigbee2mqtt"], zigbee2mqtt_base_topics=["z2m/#"])


def test_dragino_fields_the_sht_sensor_is_the_device_the_probe_a_channel(profiles: ProfileSet) -> None:
    lht65 = parse(profiles, c.TTN_DRAGINO_LHT65)
    assert not lht65.rejections and not lht65.raw
    assert stored(lht65) == {
        "ttn:lht65-e202": {"temperature": (28.29, "°C"), "humidity": (88.6, "%"), "battery_voltage": (3.062, "V")},
        "ttn:lht65-e202#TempC_DS": {"temperature": (27.81, "°C")},
    }
    lht65n = parse(profiles, c.CHIRPSTACK_DRAGINO_LHT65N)
    assert stored(lht65n)["chirpstack:a84041000181c8e1"] == {
        "temperature": (22.07, "°C"),
        "humidity": (45.1, "%"),
        "battery_voltage": (3.005, "V"),
    }
    assert raw(lht65n) == {"chirpstack:a84041000181c8e1": {"Bat_status": 3, "Ext_sensor": "Temperature Sensor"}}


def test_milesight_and_elsys_fields(profiles: ProfileSet) -> None:
    am307 = parse(profiles, c.CHIRPSTACK_MILESIGHT_AM307)
    assert stored(am307) == {
        "chirpstack:24e124707c123456": {
            "battery": (92, "%"),
            "temperature": (30.8, "°C"),
            "humidity": (50.5, "%"),
            "occupancy": (1.0, "bool"),  # activity: a PIR count
            "illuminance": (28, "lx"),
            "co2": (1255, "ppm"),
            "voc": (7, "ppb"),
        }
    }
    assert raw(am307) == {
        "chirpstack:24e124707c123456": {"infrared_and_visible": 121, "infrared": 20, "pressure": 1004.7}
    }
    em500 = parse(profiles, c.TTN_MILESIGHT_EM500_CO2)
    assert stored(em500)["ttn:em500-co2-plant"]["co2"] == (1127, "ppm")
    elsys = parse(profiles, c.CHIRPSTACK_ELSYS_ERS_CO2)
    assert stored(elsys) == {
        "chirpstack:a81758fffe0312ac": {
            "temperature": (22.6, "°C"),
            "humidity": (41, "%"),
            "illuminance": (39, "lx"),
            "occupancy": (1.0, "bool"),
            "co2": (776, "ppm"),
        }
    }


def test_browan_battery_is_volts_and_its_board_temperature_health(profiles: ProfileSet) -> None:
    iaq = parse(profiles, c.TTN_BROWAN_TBHV110)
    assert stored(iaq) == {
        "ttn:tbhv110-e203": {
            "battery_voltage": (3.6, "V"),
            "co2": (959, "ppm"),
            "humidity": (30, "%"),
            "temperature": (22, "°C"),
            "chip_temperature": (21, "°C"),
            "voc": (1, "ppb"),
        }
    }
    assert raw(iaq) == {"ttn:tbhv110-e203": {"iaq": 81, "iaqChanged": 1, "status": 1, "tempHumidChanged": 0}}
    motion = parse(profiles, c.CHIRPSTACK_BROWAN_TBMS100)  # vendor from the device profile's name
    assert stored(motion) == {"chirpstack:58a0cb0000204d1b": {"battery_voltage": (3.6, "V"), "temperature": (20, "°C")}}


def test_netvox_and_decentlab_fields(profiles: ProfileSet) -> None:
    assert stored(parse(profiles, c.TTN_NETVOX_R718A)) == {
        "ttn:r718a-freezer": {"battery_voltage": (3.6, "V"), "temperature": (25.38, "°C"), "humidity": (68, "%")}
    }
    iam = parse(profiles, c.TTN_DECENTLAB_IAM)
    assert not iam.rejections
    assert stored(iam) == {
        "ttn:dl-iam-3005": {
            "occupancy": (1.0, "bool"),
            "humidity": (36.4385, "%"),
            "temperature": (27.6783, "°C"),
            "battery_voltage": (2.962, "V"),
            "co2": (455, "ppm"),
            "illuminance": (678.7651, "lx"),
            "voc": (273, "ppb"),
        }
    }
    assert set(raw(iam)["ttn:dl-iam-3005"]) == {
        "ambient_light_infrared",
        "ambient_light_visible_infrared",
        "barometric_pressure",
        "co2_sensor_status",
        "raw_ir_reading",
    }


def test_a_decoder_nobody_mapped_registers_the_device_with_its_raw_fields(profiles: ProfileSet) -> None:
    config = parse(profiles, c.TTN_NETVOX_CONFIG)
    assert not config.readings and not config.rejections
    assert raw(config) == {
        "ttn:r718a-freezer": {
            "Cmd": "ReadConfigReportRsp",
            "MinTime": 900,
            "MaxTime": 1800,
            "BatteryChange": 0.1,
            "TempChange": 0.5,
            "HumiChange": 0.5,
        }
    }


def test_the_mapping_file_adds_topics_and_decoder_fields(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(
        "zigbee2mqtt_base_topics: [campus/z2m-east]\n"
        'tasmota_full_topics: ["tasmota/%prefix%/%topic%/"]\n'
        "lorawan_fields:\n"
        "  infrared: {metric: illuminance}\n"
        "  Bat_mV: {metric: battery_voltage, unit: mV}\n"
    )
    site = ProfileSet(build_profiles(["all"], str(path)))
    assert stored(parse(site, c.Z2M_EAST_AQARA))  # the setting's default base and the file's
    assert raw(parse(site, c.TASMOTA_ZBINFO_BULB))
    am307 = parse(site, c.CHIRPSTACK_MILESIGHT_AM307)
    assert stored(am307)["chirpstack:24e124707c123456#infrared"] == {"illuminance": (20, "lx")}
    mv = parse(site, c.chirpstack_uplink("0000000000000001", "", {"Bat_mV": 2995}))
    assert stored(mv) == {"chirpstack:0000000000000001": {"battery_voltage": (2.995, "V")}}
    path.write_text("lorawan_fields:\n  Temp_X: {metric: warmth}\n")
    with pytest.raises(MappingFileError, match=r"site.yaml:2: unknown metric 'warmth'"):
        build_profiles(["all"], str(path))
