"""Payloads of bridges and LoRaWAN decoders as their documentation (or a published user's log of
them) prints them, with the source beside each one: custom base topics and FullTopics,
Zigbee2Tasmota's child devices, and vendors' decoder fields on ChirpStack and The Things Stack."""

from __future__ import annotations

import json
from typing import Any

from tests.sensors.payloads import ISO

# Zigbee2MQTT docs, "Configuration > MQTT": `mqtt.base_topic` (default `zigbee2mqtt`), here a second
# coordinator's `campus/z2m-east`; the state is the Aqara WSDCGQ11LM device page's.
Z2M_EAST_BASE = "campus/z2m-east"
Z2M_EAST_AQARA = (
    f"{Z2M_EAST_BASE}/E-201 aqara",
    json.dumps({"battery": 91, "humidity": 51.2, "linkquality": 60, "pressure": 1004.2, "temperature": 21.4}),
)
# Zigbee2MQTT docs, "MQTT topics and messages": `<base>/bridge/state` (retained) `{"state": "online"}`.
Z2M_EAST_BRIDGE = (f"{Z2M_EAST_BASE}/bridge/state", json.dumps({"state": "online"}))
Z2M_EAST_AVAILABILITY = (f"{Z2M_EAST_BASE}/E-201 aqara/availability", json.dumps({"state": "offline"}))

# Tasmota docs, "Zigbee" > ZbInfo, as a user's console log printed it (tasmota/tele/tasmota_6A65EC/
# 7E20/SENSOR): FullTopic `tasmota/%prefix%/%topic%/` with SetOption89 (a topic per Zigbee device).
TASMOTA_FULL_TOPIC = "tasmota/%prefix%/%topic%/"
TASMOTA_ZBINFO_BULB = (
    "tasmota/tele/tasmota_6A65EC/7E20/SENSOR",
    json.dumps(
        {
            "ZbInfo": {
                "0x7E20": {
                    "Device": "0x7E20",
                    "Name": "main_light_0",
                    "IEEEAddr": "0xA4C138E23EE90340",
                    "ModelId": "TS0505B",
                    "Manufacturer": "_TZ3210_4sku4dkz",
                    "Endpoints": [1, 242],
                    "Config": ["O01", "~01.1", "L01"],
                    "Power": 1,
                    "Dimmer": 254,
                    "Reachable": True,
                    "LastSeen": 4,
                    "LinkQuality": 91,
                }
            }
        }
    ),
)
# Tasmota docs, "MQTT": the last will `Online` on `%prefix%/%topic%/LWT` with the prefix `tele`.
TASMOTA_CUSTOM_LWT = ("tasmota/tele/tasmota_6A65EC/LWT", "Online")
# A user's Sonoff ZBBridge set-up notes (FullTopic `%topic%/%prefix%/`, SetOption83: the friendly
# name as the key): `zbbridge/tele/SENSOR`.
TASMOTA_TOPIC_FIRST = "%topic%/%prefix%/"
TASMOTA_ZBBRIDGE_NAMED = (
    "zbbridge/tele/SENSOR",
    json.dumps(
        {
            "ZbReceived": {
                "THERMO1": {
                    "Device": "0x5480",
                    "Name": "THERMO1",
                    "Temperature": 20.9,
                    "Endpoint": 1,
                    "LinkQuality": 76,
                }
            }
        }
    ),
)
# Zigbee2Tasmota on the default FullTopic, as integrations quote the bridge's SENSOR messages: a
# Sonoff SNZB-02 (temperature and humidity), a SNZB-03 PIR (Occupancy), and ZbInfo's last state
# of a sensor with its battery (a user's notes, "ZBInfo sends the last sensor attributes").
TASMOTA_ZB_SNZB02 = (
    "tele/tasmota_zb/SENSOR",
    json.dumps(
        {
            "ZbReceived": {
                "0x1067": {
                    "Device": "0x1067",
                    "Temperature": 19.04,
                    "Humidity": 70.89,
                    "Endpoint": 1,
                    "LinkQuality": 141,
                }
            }
        }
    ),
)
TASMOTA_ZB_SNZB03 = (
    "tele/tasmota_zb/SENSOR",
    json.dumps(
        {
            "ZbReceived": {
                "0x6841": {
                    "Device": "0x6841",
                    "0500?00": "000000000000",
                    "ZoneStatusChange": 0,
                    "Occupancy": 0,
                    "Endpoint": 1,
                    "LinkQuality": 105,
                }
            }
        }
    ),
)
TASMOTA_ZBINFO_BATTERY = (
    "tele/tasmota_zb/SENSOR",
    json.dumps(
        {
            "ZbInfo": {
                "0x127C": {
                    "Device": "0x127C",
                    "Temperature": 23.03,
                    "Humidity": 56.29,
                    "Reachable": True,
                    "BatteryPercentage": 47,
                }
            }
        }
    ),
)
# Tasmota docs, "Commands" > SetOption89: `tele/Zigbee/5ADF/SENSOR = {"ZbReceived":{"0x5ADF":
# {"Dimmer":254,"Endpoint":1,"LinkQuality":70}}}` (a dimmer: nothing a room is measured by).
TASMOTA_ZB_DIMMER = (
    "tele/Zigbee/5ADF/SENSOR",
    json.dumps({"ZbReceived": {"0x5ADF": {"Dimmer": 254, "Endpoint": 1, "LinkQuality": 70}}}),
)


def ttn_uplink(device_id: str, brand: str, model: str, decoded: dict[str, Any]) -> tuple[str, str]:
    """The Things Stack v3 uplink of a device registered from the Device Repository (version_ids)."""
    return (
        f"v3/campus-sensors@ttn/devices/{device_id}/up",
        json.dumps(
            {
                "end_device_ids": {"device_id": device_id, "application_ids": {"application_id": "campus-sensors"}},
                "received_at": f"{ISO}.123456789Z",
                "uplink_message": {
                    "f_port": 2,
                    "decoded_payload": decoded,
                    "version_ids": {"brand_id": brand, "model_id": model},
                },
            }
        ),
    )


def chirpstack_uplink(dev_eui: str, profile_name: str, decoded: dict[str, Any]) -> tuple[str, str]:
    """ChirpStack v4 `up` event with the device profile's name and the codec's `object`."""
    return (
        f"application/0b2b3c4d-5e6f-4a1b-9c8d-7e6f5a4b3c2d/device/{dev_eui}/event/up",
        json.dumps(
            {
                "time": f"{ISO}.775023242+00:00",
                "deviceInfo": {"devEui": dev_eui, "deviceProfileName": profile_name, "applicationName": "campus"},
                "fPort": 2,
                "object": decoded,
            }
        ),
    )


# Dragino LHT65 user manual v1.3 example uplink CBF60B0D0376010ADD7FFF, decoded by the TTN decoder
# published with it (values as `toFixed` strings): BatV, TempC_SHT, Hum_SHT, TempC_DS (the probe).
TTN_DRAGINO_LHT65 = ttn_uplink(
    "lht65-e202",
    "dragino",
    "lht65",
    {"BatV": 3.062, "TempC_DS": "27.81", "TempC_SHT": "28.29", "Hum_SHT": "88.6"},
)
# Dragino's LHT65N Node-RED example (dragino-end-node-decoder) reads BatV, Bat_status, Ext_sensor,
# Hum_SHT, TempC_DS, TempC_SHT from the TTN uplink's decoded_payload.
CHIRPSTACK_DRAGINO_LHT65N = chirpstack_uplink(
    "a84041000181c8e1",
    "Dragino LHT65N",
    {
        "BatV": 3.005,
        "Bat_status": 3,
        "Ext_sensor": "Temperature Sensor",
        "Hum_SHT": "45.1",
        "TempC_DS": "19.50",
        "TempC_SHT": "22.07",
    },
)
# Milesight AM307 through Milesight's SensorDecoders, as weeve's milesight-decoder README prints it.
CHIRPSTACK_MILESIGHT_AM307 = chirpstack_uplink(
    "24e124707c123456",
    "Milesight AM307",
    {
        "battery": 92,
        "temperature": 30.8,
        "humidity": 50.5,
        "activity": 73,
        "illumination": 28,
        "infrared_and_visible": 121,
        "infrared": 20,
        "co2": 1255,
        "tvoc": 7,
        "pressure": 1004.7,
    },
)
# Milesight SensorDecoders, EM500-CO2 README example.
TTN_MILESIGHT_EM500_CO2 = ttn_uplink(
    "em500-co2-plant",
    "milesight-iot",
    "em500-co2",
    {"battery": 100, "temperature": 28.1, "humidity": 57.5, "co2": 1127, "pressure": 1008.8},
)
# TTN Device Repository, vendor/elsys/ers-co2-codec.yaml example (motion: the interval's PIR count).
CHIRPSTACK_ELSYS_ERS_CO2 = chirpstack_uplink(
    "a81758fffe0312ac",
    "ELSYS ERS CO2",
    {"temperature": 22.6, "humidity": 41, "light": 39, "motion": 6, "co2": 776},
)
# TTN Device Repository, vendor/browan/tbhv110-codec.yaml "IAQ changed" (battery in volts).
TTN_BROWAN_TBHV110 = ttn_uplink(
    "tbhv110-e203",
    "browan",
    "tbhv110",
    {
        "battery": 3.6,
        "eco2": 959,
        "humidity": 30,
        "iaq": 81,
        "iaqChanged": 1,
        "status": 1,
        "tempHumidChanged": 0,
        "temperature": 22,
        "temperatureBoard": 21,
        "voc": 1,
    },
)
# TTN Device Repository, vendor/browan/tbms100-codec.yaml "Occupied" (the board's temperature is
# the air's in its normalizedOutput); here on ChirpStack, the vendor known by the profile's name.
CHIRPSTACK_BROWAN_TBMS100 = chirpstack_uplink(
    "58a0cb0000204d1b",
    "Browan TBMS100 motion",
    {"battery": 3.6, "count": 96476, "status": 1, "temperatureBoard": 20, "time": 4},
)
# TTN Device Repository, vendor/netvox/r718a-codec.yaml "Status report".
TTN_NETVOX_R718A = ttn_uplink(
    "r718a-freezer", "netvox", "r718a", {"Device": "R718A", "Volt": 3.6, "Temp": 25.38, "Humi": 68}
)
# The same codec's "Read configure report response": nothing measured, every field unknown.
TTN_NETVOX_CONFIG = ttn_uplink(
    "r718a-freezer",
    "netvox",
    "r718a",
    {
        "Cmd": "ReadConfigReportRsp",
        "Device": "R718A",
        "MinTime": 900,
        "MaxTime": 1800,
        "BatteryChange": 0.1,
        "TempChange": 0.5,
        "HumiChange": 0.5,
    },
)
# TTN Device Repository, vendor/decentlab/dl-iam-codec.yaml "Example 1": each value with its unit.
TTN_DECENTLAB_IAM = ttn_uplink(
    "dl-iam-3005",
    "decentlab",
    "dl-iam",
    {
        "activity_counter": {"displayName": "Activity counter", "value": 11},
        "air_humidity": {"displayName": "Air humidity", "unit": "%", "value": 36.438544289311054},
        "air_temperature": {"displayName": "Air temperature", "unit": "°C", "value": 27.67833981841764},
        "ambient_light_infrared": {"displayName": "Ambient light (infrared)", "value": 105},
        "ambient_light_visible_infrared": {"displayName": "Ambient light (visible + infrared)", "value": 610},
        "barometric_pressure": {"displayName": "Barometric pressure", "unit": "Pa", "value": 96412},
        "battery_voltage": {"displayName": "Battery voltage", "unit": "V", "value": 2.962},
        "co2_concentration": {"displayName": "CO2 concentration", "unit": "ppm", "value": 455},
        "co2_sensor_status": {"displayName": "CO2 sensor status", "value": 0},
        "device_id": 3005,
        "illuminance": {"displayName": "Illuminance", "unit": "lx", "value": 678.76512},
        "protocol_version": 2,
        "raw_ir_reading": {"displayName": "Raw IR reading", "value": 37844},
        "total_voc": {"displayName": "Total VOC", "unit": "ppb", "value": 273},
    },
)
