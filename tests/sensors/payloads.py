"""Messages shaped as each project documents them (the source is named beside each one)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

# Device and server clocks in the payloads: a few seconds ago, so the messages stay current.
EPOCH_S = round(time.time() - 5, 2)
ISO = datetime.fromtimestamp(EPOCH_S, UTC).strftime("%Y-%m-%dT%H:%M:%S")

# Zigbee2MQTT, "MQTT topics and messages": zigbee2mqtt/<FRIENDLY_NAME> carries the device state;
# .../availability {"state":"online"}; zigbee2mqtt/bridge/state {"state":"online"}.
Z2M_AIR = (
    "zigbee2mqtt/E-101 air",
    json.dumps(
        {"temperature": 23.4, "humidity": 48.1, "co2": 712, "pm25": 9, "voc": 120, "battery": 91, "linkquality": 134}
    ),
)
Z2M_DOOR = ("zigbee2mqtt/E-101 door", json.dumps({"contact": False, "battery": 100, "linkquality": 90}))
Z2M_LEAK = ("zigbee2mqtt/plant/leak", json.dumps({"water_leak": True, "battery": 88}))
Z2M_PLUG = ("zigbee2mqtt/E-101 plug", json.dumps({"power": 41.5, "energy": 1.27, "voltage": 229, "current": 0.19}))
Z2M_AVAILABILITY = ("zigbee2mqtt/E-101 air/availability", json.dumps({"state": "offline"}))
Z2M_BRIDGE = ("zigbee2mqtt/bridge/state", json.dumps({"state": "online"}))

# Tasmota, "MQTT" and sensor pages: tele/<topic>/SENSOR telemetry, tele/<topic>/LWT Online/Offline.
TASMOTA_SCD30 = (
    "tele/tasmota_E102/SENSOR",
    json.dumps(
        {
            "Time": "2026-11-30T10:15:00",
            "SCD30": {"CarbonDioxide": 820, "eCO2": 801, "Temperature": 72.5, "Humidity": 41.2, "DewPoint": 46.2},
            "TempUnit": "F",
        }
    ),
)
TASMOTA_ENERGY = (
    "tele/tasmota_plug/SENSOR",
    json.dumps(
        {
            "Time": "2026-11-30T10:15:00",
            "ENERGY": {
                "TotalStartTime": "2026-01-10T08:00:00",
                "Total": 12.345,
                "Yesterday": 0.4,
                "Today": 0.2,
                "Period": 1,
                "Power": 57,
                "ApparentPower": 60,
                "ReactivePower": 17,
                "Factor": 0.95,
                "Voltage": 228,
                "Current": 0.262,
            },
        }
    ),
)
TASMOTA_LWT = ("tele/tasmota_E102/LWT", "Offline")

# Shelly Gen2+ API docs, "Notifications" and the MQTT component: <id>/events/rpc NotifyStatus and
# NotifyFullStatus, <prefix>/status/<component:id> with the component's whole status, <prefix>/online.
SHELLY_HT = "shellyplusht-08b61fcb7f3c"
SHELLY_FULL_STATUS = (
    f"{SHELLY_HT}/events/rpc",
    json.dumps(
        {
            "src": SHELLY_HT,
            "dst": f"{SHELLY_HT}/events",
            "method": "NotifyFullStatus",
            "params": {
                "ts": EPOCH_S,
                "ble": {},
                "cloud": {"connected": False},
                "devicepower:0": {"id": 0, "battery": {"V": 5.9, "percent": 87}, "external": {"present": False}},
                "humidity:0": {"id": 0, "rh": 42.2},
                "mqtt": {"connected": True},
                "temperature:0": {"id": 0, "tC": 19.8, "tF": 67.6},
            },
        }
    ),
)
SHELLY_NOTIFY = (
    f"{SHELLY_HT}/events/rpc",
    json.dumps(
        {
            "src": SHELLY_HT,
            "dst": f"{SHELLY_HT}/events",
            "method": "NotifyStatus",
            "params": {"ts": EPOCH_S, "temperature:0": {"id": 0, "tC": 21.5, "tF": 70.7}},
        }
    ),
)
SHELLY_SWITCH = (
    "shellyplus1pm-a8032ab12345/status/switch:0",
    json.dumps(
        {
            "id": 0,
            "source": "init",
            "output": True,
            "apower": 85.3,
            "voltage": 231.2,
            "current": 0.41,
            "aenergy": {"total": 1520.4, "by_minute": [0, 0, 0], "minute_ts": 1764497700},
            "temperature": {"tC": 44.1, "tF": 111.4},
        }
    ),
)
SHELLY_ONLINE = (f"{SHELLY_HT}/online", "false")

# ESPHome's MQTT component announces Home Assistant discovery with abbreviated keys.
ESPHOME_DISCOVERY = (
    "homeassistant/sensor/esp-e103/co2/config",
    json.dumps(
        {
            "dev_cla": "carbon_dioxide",
            "unit_of_meas": "ppm",
            "stat_cla": "measurement",
            "name": "CO2",
            "stat_t": "esp-e103/sensor/co2/state",
            "avty_t": "esp-e103/status",
            "uniq_id": "ESPsensorco2",
            "dev": {"ids": "98f4ab1c2d3e", "name": "esp-e103", "sw": "esphome v2024.6.0", "mdl": "esp32dev"},
        }
    ),
)
ESPHOME_STATE = ("esp-e103/sensor/co2/state", "955")
ESPHOME_STATUS = ("esp-e103/status", "offline")
# Home Assistant's MQTT sensor docs: one JSON state topic, one value_template per entity.
HA_DISCOVERY = (
    "homeassistant/sensor/sensorBedroomT/config",
    json.dumps(
        {
            "device_class": "temperature",
            "state_topic": "homeassistant/sensor/sensorBedroom/state",
            "unit_of_measurement": "°C",
            "value_template": "{{ value_json.temperature }}",
            "unique_id": "temp01ae",
            "device": {"identifiers": ["bedroom01ae"], "name": "Bedroom"},
        }
    ),
)
HA_STATE = ("homeassistant/sensor/sensorBedroom/state", json.dumps({"temperature": 23.2, "humidity": 43.7}))
HA_HOSTILE = (
    "homeassistant/sensor/evil/config",
    json.dumps(
        {
            "device_class": "temperature",
            "state_topic": "evil/state",
            "unit_of_measurement": "°C",
            "value_template": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        }
    ),
)

# ChirpStack v4 MQTT integration, event "up" (JSON marshaler): deviceInfo, time, codec output in object.
CHIRPSTACK_UP = (
    "application/0b2b3c4d-5e6f-4a1b-9c8d-7e6f5a4b3c2d/device/0101010101010101/event/up",
    json.dumps(
        {
            "deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
            "time": f"{ISO}.775023242+00:00",
            "deviceInfo": {
                "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
                "tenantName": "ChirpStack",
                "applicationId": "0b2b3c4d-5e6f-4a1b-9c8d-7e6f5a4b3c2d",
                "applicationName": "campus",
                "deviceProfileId": "b1f2c3d4-0000-4000-8000-000000000001",
                "deviceProfileName": "AM319",
                "deviceName": "E-104 co2",
                "devEui": "0101010101010101",
                "tags": {},
            },
            "devAddr": "00189440",
            "adr": True,
            "dr": 5,
            "fCnt": 4,
            "fPort": 85,
            "confirmed": False,
            "data": "AWcQAQJoMQ==",
            "object": {"temperature": 24.1, "humidity": 38.5, "co2": 1043, "tvoc": 210, "pm2_5": 12, "battery": 95},
            "rxInfo": [{"gatewayId": "0016c001f153a14c", "rssi": -57, "snr": 10.5}],
            "txInfo": {"frequency": 922100000, "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": 7}}},
        }
    ),
)
CHIRPSTACK_NO_CODEC = (
    "application/0b2b3c4d-5e6f-4a1b-9c8d-7e6f5a4b3c2d/device/0202020202020202/event/up",
    json.dumps({"time": f"{ISO}Z", "deviceInfo": {"devEui": "0202020202020202"}, "data": "AQID"}),
)

# The Things Stack v3, "Data Formats": uplink messages with end_device_ids, received_at and the
# payload formatter's output in uplink_message.decoded_payload.
TTN_UP = (
    "v3/campus-sensors@ttn/devices/eui-70b3d57ed005e105/up",
    json.dumps(
        {
            "end_device_ids": {
                "device_id": "eui-70b3d57ed005e105",
                "application_ids": {"application_id": "campus-sensors"},
                "dev_eui": "70B3D57ED005E105",
                "join_eui": "0000000000000000",
                "dev_addr": "260B1234",
            },
            "correlation_ids": ["as:up:01H0000000000000000000000"],
            "received_at": f"{ISO}.123456789Z",
            "uplink_message": {
                "session_key_id": "AXBSH1Pk6Z0G166",
                "f_port": 1,
                "f_cnt": 42,
                "frm_payload": "AQIDBA==",
                "decoded_payload": {"temperature": 21.7, "humidity": 45, "co2": 640, "light": 320, "motion": 1},
                "rx_metadata": [{"gateway_ids": {"gateway_id": "campus-gw"}, "rssi": -61, "snr": 9.2}],
                "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}}},
                "received_at": f"{ISO}.100000000Z",
            },
        }
    ),
)
