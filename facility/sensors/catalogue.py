"""The metric catalogue: canonical units, accepted units with their conversion, plausible ranges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _same(value: float) -> float:
    return value


def _scale(factor: float) -> Callable[[float], float]:
    return lambda value: value * factor


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    low: float
    high: float
    # Accepted units (lower case) and how each converts to the canonical unit.
    units: dict[str, Callable[[float], float]] = field(default_factory=dict)
    # Words a device may send instead of a number (door "open", equipment "fault").
    states: dict[str, float] = field(default_factory=dict)
    integer: bool = False

    def to_canonical(self, value: float, unit: str | None) -> float:
        """Convert from the sent unit; KeyError names an unknown unit."""
        if not unit:
            return value
        key = unit.strip().lower()
        if key == self.unit.lower():
            return value
        return self.units[key](value)

    def in_range(self, value: float) -> bool:
        return self.low <= value <= self.high


_BOOL = {"true": 1.0, "false": 0.0, "on": 1.0, "off": 0.0}

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "temperature",
            "°C",
            -40,
            100,
            {
                "c": _same,
                "degc": _same,
                "celsius": _same,
                "f": lambda v: (v - 32) * 5 / 9,
                "°f": lambda v: (v - 32) * 5 / 9,
                "degf": lambda v: (v - 32) * 5 / 9,
                "k": lambda v: v - 273.15,
            },
        ),
        Metric("water_temperature", "°C", 0, 60, {"c": _same, "degc": _same}),
        Metric("humidity", "%", 0, 100, {"%rh": _same, "rh": _same}),
        Metric("co2", "ppm", 0, 10_000),
        Metric("pm25", "µg/m³", 0, 1_000, {"ug/m3": _same, "μg/m³": _same, "mg/m3": _scale(1000)}),
        Metric("pm10", "µg/m³", 0, 2_000, {"ug/m3": _same, "μg/m³": _same, "mg/m3": _scale(1000)}),
        Metric("illuminance", "lx", 0, 200_000, {"lux": _same}),
        Metric("noise", "dB(A)", 0, 140, {"dba": _same, "db": _same}),
        Metric("people_count", "people", 0, 5_000, {"count": _same}, integer=True),
        Metric("occupancy", "bool", 0, 1, states={**_BOOL, "occupied": 1.0, "vacant": 0.0}),
        Metric("power", "W", 0, 10_000_000, {"kw": _scale(1000), "mw": _scale(1_000_000)}),
        Metric("energy", "kWh", 0, 1_000_000_000, {"wh": _scale(0.001), "mwh": _scale(1000)}),
        Metric("door", "bool", 0, 1, states={**_BOOL, "open": 1.0, "closed": 0.0}),
        Metric(
            "equipment_status",
            "state",
            0,
            2,
            states={"ok": 0.0, "warning": 1.0, "fault": 2.0},
            integer=True,
        ),
        # Plant equipment on/off, for running-hour maintenance plans.
        Metric("running", "bool", 0, 1, states={**_BOOL, "running": 1.0, "stopped": 0.0}),
        Metric("ph", "pH", 0, 14),
        Metric("free_chlorine", "mg/L", 0, 20, {"ppm": _same, "mg/l": _same}),
        Metric("water_leak", "bool", 0, 1, states={**_BOOL, "wet": 1.0, "dry": 0.0}),
        Metric("ups_load", "%", 0, 150),
    )
}

# Units shown on pages, where the canonical name is not the friendliest text.
DISPLAY_UNITS = {"bool": "", "state": "", "people": "명"}


def get_metric(name: str) -> Metric | None:
    return METRICS.get(name)
