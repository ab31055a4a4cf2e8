"""LoRaWAN decoder fields: the names vendors' payload decoders give their readings, for the
ChirpStack and The Things Stack profiles.

A decoder's output is the vendor's own vocabulary (Dragino `TempC_SHT`, `BatV`; Milesight
`illumination`; Netvox `Temp`, `Volt`; Decentlab `air_temperature: {"value", "unit"}`; Browan
`eco2`), not a schema. ALIASES maps those names to catalogue metrics and units; the mapping file's
`lorawan_fields:` adds more. A second field of a metric already read (Dragino's DS18B20 probe beside
the SHT sensor) is the channel `<device>#<field>`. Fields no alias names are kept as the device's raw
fields (shown on the devices page), so a device whose decoder nobody mapped is still registered.

Values come as decoders print them: numbers, numbers in strings (Dragino's `toFixed`), Decentlab's
`{"value": 23.1, "unit": "°C"}`, Milesight's `"trigger"`/`"idle"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from facility.sensors.parsing import Parsed, RawFields
from facility.sensors.profiles.base import COMMON_FIELDS, Field, merged, readings_from

VOLTS = Field("battery_voltage", unit="V")
MILLIVOLTS = Field("battery_voltage", unit="mV")
PRESENCE_COUNT = Field("occupancy", count_is_presence=True)

ALIASES: dict[str, Field] = {
    **COMMON_FIELDS,
    # Dragino (LHT65/LHT65N, LHT52, LSN50, LDS02, LWL02): the TTN and ChirpStack decoders' names.
    "TempC_SHT": Field("temperature"),
    "Hum_SHT": Field("humidity"),
    "TempC_DS": Field("temperature"),
    "TempC_TMP117": Field("temperature"),
    "TempC1": Field("temperature"),
    "Temp_Channel1": Field("temperature"),
    "ILL_lux": Field("illuminance"),
    "Illum": Field("illuminance"),
    "BatV": VOLTS,
    "Bat_V": VOLTS,
    "DOOR_OPEN_STATUS": Field("door"),
    "WATER_LEAK_STATUS": Field("water_leak"),
    # Milesight (AM100/AM300, EM300/EM500): `illumination` in lux, `activity` a PIR count.
    "illumination": Field("illuminance"),
    "activity": PRESENCE_COUNT,
    "pir": Field("occupancy"),
    "pm2_5": Field("pm25"),
    # Elsys (ERS, ERS CO2, EMS): `vdd` is the battery in mV, `motion` a count (COMMON_FIELDS).
    "vdd": MILLIVOLTS,
    "waterleak": Field("water_leak"),
    "sound_avg": Field("noise"),
    # Browan / Tabs (TBHV110, TBHH100, TBMS100, TBDW100, TBWL100).
    "eco2": Field("co2"),
    "occupied": Field("occupancy"),
    "open": Field("door"),
    # Netvox (R718A, R718AB, R720A, R311A, R718WA): capitalised short names, battery `Volt`.
    "Temp": Field("temperature"),
    "Temperature": Field("temperature"),
    "Humi": Field("humidity"),
    "Humidity": Field("humidity"),
    "Volt": VOLTS,
    "Illuminance": Field("illuminance"),
    "CO2": Field("co2"),
    "Leak": Field("water_leak"),
    "Occupy": Field("occupancy"),
    # Decentlab (DL-IAM, DL-LP8P, DL-PM, DL-TRS...): each value an object with its unit.
    "air_temperature": Field("temperature"),
    "air_humidity": Field("humidity"),
    "co2_concentration": Field("co2"),
    "total_voc": Field("voc"),
    "battery_voltage": VOLTS,
    "activity_counter": PRESENCE_COUNT,
    "pm2_5_mass_concentration": Field("pm25"),
    "pm10_mass_concentration": Field("pm10"),
}

# A vendor's name that means something else than the common one, chosen by the uplink's vendor
# (TTN's `version_ids.brand_id`, a ChirpStack device profile name containing it).
VENDOR_ALIASES: dict[str, dict[str, Field]] = {
    # Browan writes the battery in volts: `battery: 3.6`.
    "browan": {"battery": VOLTS},
}
# Browan's motion sensor (TBMS100) has only its board's sensor: TTN's normalized output takes it
# as the air's temperature, and so do we when the message has no other temperature.
BOARD_TEMPERATURE = "temperatureBoard"
# Decoder words for a PIR's state (Milesight `pir`).
WORDS = {"trigger": True, "idle": False, "occupied": True, "vacant": False, "open": True, "close": False}
# A battery level below this with a fraction is a voltage (3.6), not a percentage.
VOLTS_BELOW = 5.0
# Fields that say what the message is, not what was measured: not shown as raw fields.
ENVELOPE = frozenset({"device_id", "protocol_version", "Device", "SWver", "HWver", "Datecode"})
# External probes (LHT65's DS18B20 or TMP117 on a cable): channels beside the built-in sensor,
# whichever the decoder prints first.
PROBES = frozenset({"TempC_DS", "TempC_TMP117"})
# Raw fields kept per message, and characters of each value.
MAX_RAW_FIELDS, MAX_RAW_CHARS = 24, 40


def vendor_of(*names: Any) -> str:
    """The vendor a brand id or device profile name points to ('' when none is known)."""
    for name in names:
        if isinstance(name, str):
            lowered = name.lower()
            for vendor in VENDOR_ALIASES:
                if vendor in lowered or (vendor == "browan" and "tabs" in lowered):
                    return vendor
    return ""


def plain(raw: Any) -> tuple[Any, str | None]:
    """A decoder's value as a number, boolean or state word, and its unit if it says one."""
    unit = None
    if isinstance(raw, Mapping):
        unit = raw.get("unit") if isinstance(raw.get("unit"), str) else None
        raw = raw.get("value")
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in WORDS:
            return WORDS[word], unit
        try:
            return float(word), unit
        except ValueError:
            return raw, unit
    return raw, unit


def raw_value(raw: Any) -> Any:
    value, _ = plain(raw)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)[:MAX_RAW_CHARS]


def decoded_readings(
    decoded: Mapping[str, Any],
    device: str,
    ts: datetime,
    profile: str,
    *,
    vendor: str = "",
    extra: Mapping[str, Field] | None = None,
) -> Parsed:
    """Readings of a decoder's output by the alias table, later fields of a metric as channels,
    and the fields no alias names as the device's raw fields."""
    aliases = {**ALIASES, **VENDOR_ALIASES.get(vendor, {}), **(extra or {})}
    channels: dict[str, list[tuple[Field, Any]]] = {device: []}
    units: dict[str, dict[str, str]] = {}
    taken: set[str] = set()
    unknown: dict[str, Any] = {}
    for name, raw in sorted(decoded.items(), key=lambda item: item[0] in PROBES):
        spec = aliases.get(name)
        if name == BOARD_TEMPERATURE:
            spec = Field("chip_temperature" if "temperature" in decoded else "temperature")
        if spec is None:
            if name not in ENVELOPE and len(unknown) < MAX_RAW_FIELDS:
                unknown[name] = raw_value(raw)
            continue
        value, unit = plain(raw)
        if name == "battery" and not vendor and isinstance(value, float) and not value.is_integer():
            spec = VOLTS if value < VOLTS_BELOW else spec
        channel = f"{device}#{name}" if spec.metric in taken else device
        taken.add(spec.metric)
        channels.setdefault(channel, []).append((spec, value))
        if unit is not None and spec.unit is None:
            units.setdefault(channel, {})[spec.metric] = unit
    parts = [readings_from(found, code, ts, profile, unit_override=units.get(code)) for code, found in channels.items()]
    parsed = parts[0] if len(parts) == 1 else merged(parts)
    if unknown:
        return parsed._replace(raw=(RawFields(device, profile, ts, unknown),))
    return parsed
