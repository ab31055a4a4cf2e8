"""The metric catalogue: one entry per metric, read by parsing, the board, charts and alerts.

An entry holds the canonical unit and the units accepted with their conversion, the plausible
range, how many decimals people read, the comfort or air-quality bands, the default alert limit
(whose bounds are also the chart's guide lines) and the label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from facility.core.i18n import gettext as _

BAND_ORDER = ("good", "fair", "poor", "bad")


def N_(message: str) -> str:  # noqa: N802 - the gettext marker extraction tools look for
    """Mark a label for the message catalogue; it is translated where it is shown."""
    return message


def _same(value: float) -> float:
    return value


def _scale(factor: float) -> Callable[[float], float]:
    return lambda value: value * factor


def _fahrenheit(value: float) -> float:
    return (value - 32) * 5 / 9


@dataclass(frozen=True)
class Grades:
    """Air-quality grades: upper bounds of good, fair and poor; above the last is bad."""

    good: float
    fair: float
    poor: float

    def band(self, value: float) -> str:
        for name, bound in zip(BAND_ORDER, (self.good, self.fair, self.poor), strict=False):
            if value <= bound:
                return name
        return "bad"


@dataclass(frozen=True)
class Comfort:
    """Comfort ranges: inside the first is good, inside the second fair, else poor."""

    good: tuple[float, float]
    fair: tuple[float, float]

    def band(self, value: float) -> str:
        if self.good[0] <= value <= self.good[1]:
            return "good"
        return "fair" if self.fair[0] <= value <= self.fair[1] else "poor"


@dataclass(frozen=True)
class Limit:
    """The default alert limit: breached above `above` or below `below`, cleared past the hysteresis."""

    above: float | None = None
    below: float | None = None
    hysteresis: float = 0.0

    @property
    def bounds(self) -> tuple[float, ...]:
        return tuple(b for b in (self.below, self.above) if b is not None)


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    low: float
    high: float
    label: str
    # Accepted units (lower case) and how each converts to the canonical unit.
    units: dict[str, Callable[[float], float]] = field(default_factory=dict)
    # Words a device may send instead of a number (door "open", equipment "fault").
    states: dict[str, float] = field(default_factory=dict)
    integer: bool = False
    decimals: int = 0
    bands: Grades | Comfort | None = None
    limit: Limit | None = None
    # Shown in the board's tiles (in catalogue order).
    on_board: bool = False
    # Unit as shown on pages, where the canonical name is not the friendliest text.
    shown_unit: str | None = None
    # The device's own state (its chip's temperature, its battery's voltage), not the room's: kept
    # off the room's values and without a default alert limit.
    health: bool = False

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

    def band(self, value: float) -> str | None:
        return self.bands.band(value) if self.bands else None

    @property
    def guides(self) -> tuple[float, ...]:
        """Reference lines on a chart: the alert limit's bounds (none for on/off states)."""
        return self.limit.bounds if self.limit and self.unit not in ("bool", "state") else ()

    @property
    def display_unit(self) -> str:
        return self.unit if self.shown_unit is None else self.shown_unit

    def format(self, value: float) -> str:
        return f"{value:,.{self.decimals}f}"

    def title(self) -> str:
        """The label in the current language."""
        return _(self.label)


_BOOL = {"true": 1.0, "false": 0.0, "on": 1.0, "off": 0.0}
_CELSIUS = {"c": _same, "degc": _same, "celsius": _same}
_MICROGRAMS = {"ug/m3": _same, "μg/m³": _same, "µg/m3": _same, "mg/m3": _scale(1000)}
_TEMPERATURE = {**_CELSIUS, "f": _fahrenheit, "°f": _fahrenheit, "degf": _fahrenheit, "k": lambda v: v - 273.15}
# 실내공기질관리법: 1,000 ppm is the indoor CO2 limit of public-use facilities.
CO2_LIMIT_PPM = 1000
# Rooms people learn in: 18-28 °C is the comfort band of 학교보건법 시행규칙.
COMFORT_TEMPERATURE = (18.0, 28.0)

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "temperature",
            "°C",
            -40,
            100,
            N_("Temperature"),
            dict(_TEMPERATURE),
            decimals=1,
            bands=Comfort((20, 26), COMFORT_TEMPERATURE),
            limit=Limit(below=COMFORT_TEMPERATURE[0], above=COMFORT_TEMPERATURE[1], hysteresis=0.5),
            on_board=True,
        ),
        Metric("water_temperature", "°C", 0, 60, N_("Water temperature"), dict(_CELSIUS), decimals=1),
        Metric(
            "humidity",
            "%",
            0,
            100,
            N_("Humidity"),
            {"%rh": _same, "rh": _same},
            decimals=1,
            bands=Comfort((40, 60), (30, 70)),
            on_board=True,
        ),
        Metric(
            "co2",
            "ppm",
            0,
            10_000,
            N_("CO₂"),
            bands=Grades(800, CO2_LIMIT_PPM, 2000),
            limit=Limit(above=CO2_LIMIT_PPM, hysteresis=100),
            on_board=True,
        ),
        # PM grades follow 에어코리아.
        Metric("pm25", "µg/m³", 0, 1_000, N_("PM2.5"), dict(_MICROGRAMS), bands=Grades(15, 35, 75), on_board=True),
        Metric("pm10", "µg/m³", 0, 2_000, N_("PM10"), dict(_MICROGRAMS), bands=Grades(30, 80, 150)),
        Metric("voc", "ppb", 0, 100_000, N_("VOC"), {"ppm": _scale(1000)}),
        Metric("illuminance", "lx", 0, 200_000, N_("Illuminance"), {"lux": _same}),
        Metric("noise", "dB(A)", 0, 140, N_("Noise"), {"dba": _same, "db": _same}),
        Metric(
            "people_count",
            "people",
            0,
            5_000,
            N_("People"),
            {"count": _same},
            integer=True,
            on_board=True,
            shown_unit="명",
        ),
        Metric(
            "occupancy",
            "bool",
            0,
            1,
            N_("Occupied"),
            states={**_BOOL, "occupied": 1.0, "vacant": 0.0},
            shown_unit="",
        ),
        Metric("power", "W", 0, 10_000_000, N_("Power"), {"kw": _scale(1000), "mw": _scale(1_000_000)}),
        Metric("energy", "kWh", 0, 1_000_000_000, N_("Energy"), {"wh": _scale(0.001), "mwh": _scale(1000)}, decimals=1),
        Metric("voltage", "V", 0, 100_000, N_("Voltage"), {"kv": _scale(1000)}, decimals=1),
        Metric("current", "A", 0, 10_000, N_("Current"), {"ma": _scale(0.001)}, decimals=2),
        Metric("battery", "%", 0, 100, N_("Battery")),
        Metric("battery_voltage", "V", 0, 100, N_("Battery voltage"), {"mv": _scale(0.001)}, decimals=2, health=True),
        Metric("chip_temperature", "°C", -40, 150, N_("Device temperature"), dict(_CELSIUS), decimals=1, health=True),
        Metric("door", "bool", 0, 1, N_("Door"), states={**_BOOL, "open": 1.0, "closed": 0.0}, shown_unit=""),
        Metric(
            "equipment_status",
            "state",
            0,
            2,
            N_("Equipment"),
            states={"ok": 0.0, "warning": 1.0, "fault": 2.0},
            integer=True,
            limit=Limit(above=1.5, hysteresis=0.5),
            shown_unit="",
        ),
        # Plant equipment on/off, for running-hour maintenance plans.
        Metric(
            "running",
            "bool",
            0,
            1,
            N_("Running"),
            states={**_BOOL, "running": 1.0, "stopped": 0.0},
            shown_unit="",
        ),
        # An air handler's supply air and the setpoint it was told (plant points: BACnet, Modbus).
        Metric("supply_air_temperature", "°C", -30, 90, N_("Supply air temperature"), dict(_TEMPERATURE), decimals=1),
        Metric("setpoint", "°C", 0, 50, N_("Temperature setpoint"), dict(_TEMPERATURE), decimals=1),
        # 수영장 수질기준 (체육시설법 시행규칙): pH 5.8-8.6, free chlorine 0.4-1.0 mg/L.
        Metric("ph", "pH", 0, 14, N_("pH"), decimals=2, limit=Limit(below=5.8, above=8.6, hysteresis=0.1)),
        Metric(
            "free_chlorine",
            "mg/L",
            0,
            20,
            N_("Free chlorine"),
            {"ppm": _same, "mg/l": _same},
            decimals=2,
            limit=Limit(below=0.4, above=1.0, hysteresis=0.05),
        ),
        Metric(
            "water_leak",
            "bool",
            0,
            1,
            N_("Water leak"),
            states={**_BOOL, "wet": 1.0, "dry": 0.0},
            limit=Limit(above=0.5, hysteresis=0.5),
            shown_unit="",
        ),
        Metric("ups_load", "%", 0, 150, N_("UPS load"), decimals=1, limit=Limit(above=80, hysteresis=5)),
    )
}

BOARD_METRICS = tuple(name for name, metric in METRICS.items() if metric.on_board)


def get_metric(name: str) -> Metric | None:
    return METRICS.get(name)


def band(metric: str, value: float) -> str | None:
    """The band of a value, or None for metrics without one."""
    entry = METRICS.get(metric)
    return entry.band(value) if entry else None


def worst(bands: list[str | None]) -> str:
    found = [b for b in bands if b]
    return max(found, key=BAND_ORDER.index) if found else "none"
