"""Payloads as the device families' own documentation prints them (the source beside each one),
for the corpus tests: every channel a device sells, read as its own channel."""

from __future__ import annotations

import json

from tests.sensors.payloads import EPOCH_S

# Shelly Gen2+ API docs, component pages "EM" (Pro 3EM), "EMData", "EM1", "EM1Data", "PM1": each
# component's status as published on <prefix>/status/<component:id> and inside NotifyStatus params.
SHELLY_3EM = "shellypro3em-c8f09e8ab1e4"
SHELLY_EM = {
    "id": 0,
    "a_current": 4.029,
    "a_voltage": 236.1,
    "a_act_power": 951.2,
    "a_aprt_power": 951.9,
    "a_pf": 1,
    "a_freq": 50,
    "b_current": 4.027,
    "b_voltage": 236.2,
    "b_act_power": 950.1,
    "b_aprt_power": 951.8,
    "b_pf": 1,
    "b_freq": 50,
    "c_current": 3.03,
    "c_voltage": 236.1,
    "c_act_power": 715.9,
    "c_aprt_power": 716.5,
    "c_pf": 1,
    "c_freq": 50,
    "n_current": None,
    "total_current": 11.086,
    "total_act_power": 2617.2,
    "total_aprt_power": 2620.2,
    "user_calibrated_phase": [],
}
SHELLY_EMDATA = {
    "id": 0,
    "a_total_act_energy": 2776.32,
    "a_total_act_ret_energy": 0,
    "b_total_act_energy": 2.38,
    "b_total_act_ret_energy": 2739.91,
    "c_total_act_energy": 2000.37,
    "c_total_act_ret_energy": 0,
    "total_act": 4779.07,
    "total_act_ret": 2739.91,
}
SHELLY_EM_STATUS = (f"{SHELLY_3EM}/status/em:0", json.dumps(SHELLY_EM))
SHELLY_EM_NOTIFY = (
    f"{SHELLY_3EM}/events/rpc",
    json.dumps(
        {
            "src": SHELLY_3EM,
            "dst": f"{SHELLY_3EM}/events",
            "method": "NotifyStatus",
            "params": {"ts": EPOCH_S, "emdata:0": SHELLY_EMDATA},
        }
    ),
)
SHELLY_PROEM = "shellyproem50-08f9e0e5a6b8"
SHELLY_EM1_FULL = (
    f"{SHELLY_PROEM}/events/rpc",
    json.dumps(
        {
            "src": SHELLY_PROEM,
            "dst": f"{SHELLY_PROEM}/events",
            "method": "NotifyFullStatus",
            "params": {
                "ts": EPOCH_S,
                "em1:0": {
                    "id": 0,
                    "current": 2.7,
                    "voltage": 235.2,
                    "act_power": 621.8,
                    "aprt_power": 636.4,
                    "pf": 0.98,
                    "freq": 50,
                    "calibration": "factory",
                },
                "em1:1": {"id": 1, "current": 0.5, "voltage": 235.2, "act_power": 110.4, "aprt_power": 117.6},
                "em1data:0": {"id": 0, "total_act_energy": 3214.07, "total_act_ret_energy": 0},
                "em1data:1": {"id": 1, "total_act_energy": 150.5, "total_act_ret_energy": 0},
                "sys": {"uptime": 1234},
            },
        }
    ),
)
SHELLY_PM1 = (
    "shellypmmini-543204a1b2c3/status/pm1:0",
    json.dumps(
        {
            "id": 0,
            "voltage": 240.2,
            "current": 6.473,
            "apower": 1327.5,
            "freq": 50,
            "aenergy": {"total": 11679.3, "by_minute": [0, 0, 0], "minute_ts": 1764497700},
            "ret_aenergy": {"total": 0, "by_minute": [0, 0, 0], "minute_ts": 1764497700},
        }
    ),
)


def tasmota(topic: str, sensors: dict[str, object]) -> tuple[str, str]:
    """A `tele/<topic>/SENSOR` message as Tasmota frames it: its local time, the sensors, TempUnit."""
    return topic, json.dumps({"Time": "2026-11-30T10:15:00", **sensors, "TempUnit": "C"})


# Tasmota docs, "DS18x20 temperature sensor": several probes on one pin, numbered in the order found.
TASMOTA_DS18B20 = tasmota(
    "tele/tasmota_boiler/SENSOR",
    {
        "DS18B20-1": {"Id": "01144A0CB2AA", "Temperature": 12.2},
        "DS18B20-2": {"Id": "01144A11E4AA", "Temperature": 21.9},
        "DS18B20-3": {"Id": "0316A4EB11FF", "Temperature": 22.6},
    },
)
# Tasmota docs, "Sensors" (several kinds on one node, each object named after its driver).
TASMOTA_SHT3X_DHT11 = tasmota(
    "tele/tasmota_E104/SENSOR",
    {
        "SHT3X": {"Temperature": 21.3, "Humidity": 44.9, "DewPoint": 8.7},
        "DHT11": {"Temperature": 22.0, "Humidity": 41.0, "DewPoint": 8.2},
    },
)
# Tasmota docs, "Power Monitoring" / Shelly 2.5 template: one value per relay in ENERGY's arrays, and
# the relay board's own thermistor as ANALOG.Temperature.
TASMOTA_SHELLY25 = tasmota(
    "tele/tasmota_shelly25/SENSOR",
    {
        "ANALOG": {"Temperature": 52.3},
        "ENERGY": {
            "TotalStartTime": "2026-01-10T08:00:00",
            "Total": 0.017,
            "Yesterday": 0.0,
            "Today": 0.017,
            "Period": [0, 0],
            "Power": [23.6, 67.2],
            "ApparentPower": [39.4, 87.2],
            "ReactivePower": [31.5, 55.6],
            "Factor": [0.6, 0.77],
            "Voltage": 232,
            "Current": [0.102, 0.29],
        },
    },
)
# Tasmota docs, "ESP32": the chip's internal temperature sensor.
TASMOTA_ESP32 = tasmota(
    "tele/tasmota_E105/SENSOR",
    {
        "ESP32": {"Temperature": 51.7},
        "BME280": {"Temperature": 22.4, "Humidity": 47.0, "DewPoint": 10.6, "Pressure": 1013.2},
    },
)


# Zigbee2MQTT docs, device page "Aqara WSDCGQ11LM" (exposes: voltage "Voltage of the battery in
# millivolts"): a battery sensor's state.
Z2M_AQARA = (
    "zigbee2mqtt/E-106 aqara",
    json.dumps(
        {
            "battery": 100,
            "humidity": 47.55,
            "linkquality": 87,
            "pressure": 1003.1,
            "temperature": 22.14,
            "voltage": 3005,
        }
    ),
)
# Zigbee2MQTT docs, "Configuration > Devices > output: attribute": each attribute on
# zigbee2mqtt/<FRIENDLY_NAME>/<attribute> with its bare value.
Z2M_ATTRIBUTES = (
    ("zigbee2mqtt/E-101 plug/power", "0"),
    ("zigbee2mqtt/E-101 plug/voltage", "229"),
    ("zigbee2mqtt/E-101 plug/state", "ON"),
    ("zigbee2mqtt/E-101 plug/linkquality", "134"),
    ("zigbee2mqtt/E-101 door/contact", "false"),
    ("zigbee2mqtt/E-106 aqara/voltage", "2995"),
    ("zigbee2mqtt/E-106 aqara/temperature", "22.14"),
)
# Zigbee2MQTT device pages of PIR sensors that report the number of detections since the last
# message (a count, not a state); and The Things Stack with Elsys's published ERS payload decoder,
# whose `motion` is the PIR count of the interval.
Z2M_MOTION_COUNT = ("zigbee2mqtt/E-107 pir", json.dumps({"motion": 6, "battery": 80}))
TTN_ELSYS = (
    "v3/campus-sensors@ttn/devices/elsys-ers-co2/up",
    json.dumps(
        {
            "end_device_ids": {"device_id": "elsys-ers-co2", "dev_eui": "A81758FFFE0312AB"},
            "received_at": "2026-11-30T10:15:00.123456789Z",
            "uplink_message": {
                "f_port": 5,
                "decoded_payload": {"temperature": 22.5, "humidity": 41, "light": 39, "motion": 6, "co2": 776},
            },
        }
    ),
)
