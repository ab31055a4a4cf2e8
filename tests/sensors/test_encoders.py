"""Encoders: each ecosystem's documented command and answer, both ways (sources named per case)."""

from __future__ import annotations

import json

import pytest

from facility.sensors.encoders import Encoders, Report, Target
from facility.sensors.profiles import build_profiles

# (profile, device code, channel, canonical value, topic, payload, source of the payload's shape)
COMMANDS = [
    (
        "zigbee2mqtt",
        "zigbee2mqtt:hall_light",
        "relay",
        "on",
        "zigbee2mqtt/hall_light/set",
        {"state": "ON"},
        "https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html (zigbee2mqtt/[FRIENDLY_NAME]/set)",
    ),
    (
        "zigbee2mqtt",
        "zigbee2mqtt:A-101 TRV",
        "setpoint",
        "21.5",
        "zigbee2mqtt/A-101 TRV/set",
        {"current_heating_setpoint": 21.5},
        "https://www.zigbee2mqtt.io/devices/TS0601_thermostat.html (exposes)",
    ),
    (
        "zigbee2mqtt",
        "zigbee2mqtt:lamp",
        "dimmer",
        "50",
        "zigbee2mqtt/lamp/set",
        {"brightness": 127},
        "https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html (brightness 0-254)",
    ),
    (
        "zigbee2mqtt",
        "zigbee2mqtt:trv",
        "mode",
        "heat",
        "zigbee2mqtt/trv/set",
        {"system_mode": "heat"},
        "https://www.zigbee2mqtt.io/devices/TS0601_thermostat.html (system_mode)",
    ),
    (
        "tasmota",
        "tasmota:plug_A101",
        "relay:2",
        "off",
        "cmnd/plug_A101/POWER2",
        "OFF",
        "https://tasmota.github.io/docs/Commands/ (Power<x> ON|OFF)",
    ),
    (
        "tasmota",
        "tasmota:plug_A101",
        "relay",
        "on",
        "cmnd/plug_A101/POWER",
        "ON",
        "https://tasmota.github.io/docs/Commands/ (Power and Power1 name the first relay)",
    ),
    (
        "tasmota",
        "tasmota:dim_A101",
        "dimmer",
        "42",
        "cmnd/dim_A101/Dimmer",
        "42",
        "https://tasmota.github.io/docs/Commands/ (Dimmer 0..100)",
    ),
    (
        "shelly",
        "shelly:shellyplus1-a8032ab1",
        "relay",
        "on",
        "shellyplus1-a8032ab1/rpc",
        {"id": 1, "src": "facility-gateway", "method": "Switch.Set", "params": {"id": 0, "on": True}},
        "https://shelly-api-docs.shelly.cloud/gen2/General/RPCChannels (MQTT: <topic_prefix>/rpc)",
    ),
    (
        "shelly",
        "shelly:shellyplus2pm-b1#1",
        "relay",
        "off",
        "shellyplus2pm-b1/rpc",
        {"id": 1, "src": "facility-gateway", "method": "Switch.Set", "params": {"id": 1, "on": False}},
        "https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch (Switch.Set id, on)",
    ),
    ("facility", "th-A101", "setpoint", "21", "facility/edu/A-101/th-A101/set/setpoint", "21", "docs/sensors.md"),
]


@pytest.mark.parametrize(("profile", "code", "channel", "value", "topic", "payload", "source"), COMMANDS)
def test_each_ecosystem_is_told_as_it_documents(
    profile: str, code: str, channel: str, value: str, topic: str, payload: object, source: str
) -> None:
    outbound = Encoders.default().command(profile, Target(code, "edu", "A-101"), channel, value)
    assert outbound is not None and outbound.topic == topic
    body = outbound.payload.decode()
    assert (json.loads(body) if isinstance(payload, dict) else body) == payload, source


# (topic, payload, watched device, expected reports, source)
ANSWERS = [
    (
        "zigbee2mqtt/TRVGamma",
        b'{"current_heating_setpoint":13.5,"local_temperature":14,"system_mode":"auto","linkquality":83}',
        "zigbee2mqtt:TRVGamma",
        [Report("zigbee2mqtt:TRVGamma", "setpoint", "13.5"), Report("zigbee2mqtt:TRVGamma", "mode", "auto")],
        "https://gist.github.com/hnykda/54eb8b72fb24c710447ac7edaffb0952 (a TS0601 TRV's state)",
    ),
    (
        "zigbee2mqtt/hall_light",
        b'{"state":"ON","brightness":254,"linkquality":120}',
        "zigbee2mqtt:hall_light",
        [Report("zigbee2mqtt:hall_light", "relay", "on"), Report("zigbee2mqtt:hall_light", "dimmer", "100")],
        "https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html",
    ),
    (
        "zigbee2mqtt/hall_light/state",
        b"OFF",
        "zigbee2mqtt:hall_light",
        [Report("zigbee2mqtt:hall_light", "relay", "off")],
        "https://www.zigbee2mqtt.io/guide/configuration/mqtt.html (output: attribute)",
    ),
    (
        "stat/plug_A101/POWER2",
        b"ON",
        "tasmota:plug_A101",
        [Report("tasmota:plug_A101", "relay:2", "on")],
        "https://tasmota.github.io/docs/MQTT/ (stat/<topic>/POWER)",
    ),
    (
        "stat/plug_A101/RESULT",
        b'{"POWER":"OFF"}',
        "tasmota:plug_A101",
        [Report("tasmota:plug_A101", "relay", "off"), Report("tasmota:plug_A101", "relay:1", "off")],
        "https://tasmota.github.io/docs/MQTT/ (stat/<topic>/RESULT)",
    ),
    (
        "tele/dim_A101/STATE",
        b'{"Time":"2026-12-07T08:00:00","POWER":"ON","Dimmer":42,"Wifi":{"RSSI":60}}',
        "tasmota:dim_A101",
        [
            Report("tasmota:dim_A101", "relay", "on"),
            Report("tasmota:dim_A101", "relay:1", "on"),
            Report("tasmota:dim_A101", "dimmer", "42"),
        ],
        "https://tasmota.github.io/docs/MQTT/ (tele/<topic>/STATE)",
    ),
    (
        "shellyplus1-a8032ab1/status/switch:0",
        b'{"id":0,"source":"MQTT","output":true,"apower":0.0}',
        "shelly:shellyplus1-a8032ab1",
        [Report("shelly:shellyplus1-a8032ab1", "relay:0", "on"), Report("shelly:shellyplus1-a8032ab1", "relay", "on")],
        "https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch (status output)",
    ),
    (
        "shellyplus2pm-b1/events/rpc",
        b'{"src":"shellyplus2pm-b1","dst":"shellyplus2pm-b1/events","method":"NotifyStatus",'
        b'"params":{"ts":1701936000.0,"switch:1":{"id":1,"output":false}}}',
        "shelly:shellyplus2pm-b1#1",
        [Report("shelly:shellyplus2pm-b1", "relay:1", "off"), Report("shelly:shellyplus2pm-b1#1", "relay", "off")],
        "https://shelly-api-docs.shelly.cloud/gen2/General/Notifications (NotifyStatus)",
    ),
    (
        "facility/edu/A-101/th-A101/state/setpoint",
        b"21.50",
        "th-A101",
        [Report("th-A101", "setpoint", "21.5")],
        "docs/sensors.md",
    ),
]


@pytest.mark.parametrize(("topic", "payload", "device", "reports", "source"), ANSWERS)
def test_each_ecosystems_answer_is_heard(
    topic: str, payload: bytes, device: str, reports: list[Report], source: str
) -> None:
    encoders = Encoders.default()
    encoders.watch([device])
    heard = encoders.heard(topic, payload)
    assert heard is not None and heard.reports == reports, source


def test_an_unwatched_device_costs_no_decoding_and_readings_are_not_answers() -> None:
    encoders = Encoders.default()
    heard = encoders.heard("zigbee2mqtt/other", b"not json at all")
    assert heard is not None and heard.reports == [] and not heard.exclusive
    assert encoders.heard("facility/edu/A-101/co2-1/co2", b"612") is None
    assert encoders.heard("tele/plug/SENSOR", b"{}") is None


def test_home_assistant_devices_are_told_through_their_announced_topics() -> None:
    """https://www.home-assistant.io/integrations/switch.mqtt/ and climate.mqtt/ (discovery)."""
    encoders = Encoders.default()
    switch = {
        "~": "esphome/relay-a101",
        "cmd_t": "~/switch/fan/command",
        "stat_t": "~/switch/fan/state",
        "dev": {"ids": ["a101relay"], "name": "Relay A-101"},
    }
    heard = encoders.heard("homeassistant/switch/relay-a101/fan/config", json.dumps(switch).encode())
    assert heard is not None and heard.follow == ("esphome/relay-a101/switch/fan/state",)
    climate = {
        "temperature_command_topic": "hvac/a101/target/set",
        "temperature_state_topic": "hvac/a101/target",
        "mode_command_topic": "hvac/a101/mode/set",
        "mode_state_topic": "hvac/a101/mode",
        "device": {"identifiers": ["hvac-a101"]},
    }
    encoders.heard("homeassistant/climate/hvac-a101/config", json.dumps(climate).encode())
    told = encoders.command("homeassistant", Target("homeassistant:relay-a101"), "relay", "on")
    assert told is not None and (told.topic, told.payload) == ("esphome/relay-a101/switch/fan/command", b"ON")
    told = encoders.command("homeassistant", Target("homeassistant:hvac-a101"), "setpoint", "22")
    assert told is not None and (told.topic, told.payload) == ("hvac/a101/target/set", b"22")
    assert encoders.command("homeassistant", Target("homeassistant:unknown"), "relay", "on") is None
    heard = encoders.heard("hvac/a101/target", b"22.0")
    assert heard is not None and heard.reports == [Report("homeassistant:hvac-a101", "setpoint", "22")]
    assert "hvac/a101/mode" in encoders.subscriptions()


def test_a_topic_heard_by_no_encoder_is_heard_once_it_is_announced() -> None:
    """Topics no encoder hears are remembered (readings skip the encoders); a Home Assistant
    discovery config that makes one a state topic forgets them, so its answers are heard."""
    encoders = Encoders.default()
    assert encoders.heard("hvac/b202/target", b"21.0") is None
    assert "hvac/b202/target" in encoders.deaf
    config = {
        "temperature_command_topic": "hvac/b202/target/set",
        "temperature_state_topic": "hvac/b202/target",
        "device": {"identifiers": ["hvac-b202"]},
    }
    encoders.heard("homeassistant/climate/hvac-b202/config", json.dumps(config).encode())
    assert "hvac/b202/target" not in encoders.deaf
    heard = encoders.heard("hvac/b202/target", b"21.0")
    assert heard is not None and heard.reports == [Report("homeassistant:hvac-b202", "setpoint", "21")]


def test_home_assistant_templates_make_the_command_and_read_the_answer() -> None:
    """https://www.home-assistant.io/integrations/climate.mqtt/ (`temperature_command_template`,
    `temperature_state_template`) and switch.mqtt/ (`value_template`): rendered in the sandbox."""
    encoders = Encoders.default()
    switch = {
        "cmd_t": "plug/c303/set",
        "stat_t": "plug/c303/state",
        "val_tpl": "{{ value_json.POWER }}",
        "dev": {"ids": ["plug-c303"]},
    }
    encoders.heard("homeassistant/switch/plug-c303/power/config", json.dumps(switch).encode())
    heard = encoders.heard("plug/c303/state", b'{"POWER": "ON", "Voltage": 229}')
    assert heard is not None and heard.reports == [Report("homeassistant:plug-c303", "relay", "on")]
    climate = {
        "temperature_command_topic": "hvac/c303/set",
        "temperature_command_template": '{{ {"target": value | float} | tojson }}',
        "temperature_state_topic": "hvac/c303/state",
        "temperature_state_template": "{{ value_json.target }}",
        "device": {"identifiers": ["hvac-c303"]},
    }
    encoders.heard("homeassistant/climate/hvac-c303/config", json.dumps(climate).encode())
    told = encoders.command("homeassistant", Target("homeassistant:hvac-c303"), "setpoint", "22.5")
    assert told is not None and json.loads(told.payload) == {"target": 22.5}
    heard = encoders.heard("hvac/c303/state", b'{"target": 22.5, "current": 20.1}')
    assert heard is not None and heard.reports == [Report("homeassistant:hvac-c303", "setpoint", "22.5")]


def test_a_home_assistant_template_over_its_budget_is_forgotten_not_obeyed() -> None:
    encoders = Encoders.default()
    config = {
        "cmd_t": "plug/d404/set",
        "stat_t": "plug/d404/state",
        "val_tpl": "{{ 'x' * 100000 }}",
        "dev": {"ids": ["plug-d404"]},
    }
    encoders.heard("homeassistant/switch/plug-d404/power/config", json.dumps(config).encode())
    heard = encoders.heard("plug/d404/state", b"ON")
    assert heard is not None and heard.reports == []
    # The config is forgotten: the device is no longer told anything through it.
    assert encoders.command("homeassistant", Target("homeassistant:plug-d404"), "relay", "on") is None
    broken = {**config, "val_tpl": "{{ value_json.POWER "}
    assert encoders.heard("homeassistant/switch/plug-d404/power/config", json.dumps(broken).encode()) is not None
    assert encoders.command("homeassistant", Target("homeassistant:plug-d404"), "relay", "on") is None


def test_devices_on_custom_base_topics_and_full_topics_are_told_and_heard_there() -> None:
    """A Zigbee2MQTT bridge on `campus/z2m-east` and a Tasmota on `tasmota/%prefix%/%topic%/`:
    the codes the reading profiles give them lead back to the same topics."""
    profiles = build_profiles(
        ["zigbee2mqtt", "tasmota"],
        zigbee2mqtt_base_topics=["zigbee2mqtt", "campus/z2m-east"],
        tasmota_full_topics=["%prefix%/%topic%/", "tasmota/%prefix%/%topic%/"],
    )
    encoders = Encoders.default(profiles)
    z2m, plug = "zigbee2mqtt:campus/z2m-east/a101-valve", "tasmota:plug-b2"
    encoders.watch([z2m, plug, "zigbee2mqtt:a102-valve"])
    told = encoders.command("zigbee2mqtt", Target(z2m), "relay", "on")
    assert told is not None and told.topic == "campus/z2m-east/a101-valve/set"
    told = encoders.command("zigbee2mqtt", Target("zigbee2mqtt:a102-valve"), "relay", "on")
    assert told is not None and told.topic == "zigbee2mqtt/a102-valve/set"
    heard = encoders.heard("campus/z2m-east/a101-valve", b'{"state": "ON"}')
    assert heard is not None and heard.reports == [Report(z2m, "relay", "on")]
    assert "tasmota/stat/+/+" in encoders.subscriptions() and "stat/+/+" in encoders.subscriptions()
    # Until it answers, a Tasmota is told on the first pattern; then on the one it answered on.
    told = encoders.command("tasmota", Target(plug), "relay", "on")
    assert told is not None and told.topic == "cmnd/plug-b2/POWER"
    heard = encoders.heard("tasmota/stat/plug-b2/POWER", b"ON")
    assert heard is not None and heard.exclusive and Report(plug, "relay", "on") in heard.reports
    told = encoders.command("tasmota", Target(plug), "relay", "off")
    assert told is not None and (told.topic, told.payload) == ("tasmota/cmnd/plug-b2/POWER", b"OFF")
    heard = encoders.heard("tasmota/tele/plug-b2/STATE", b'{"POWER": "OFF"}')
    assert heard is not None and Report(plug, "relay", "off") in heard.reports
    assert encoders.heard("tasmota/tele/plug-b2/SENSOR", b"{}") is None
