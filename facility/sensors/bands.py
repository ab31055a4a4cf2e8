"""Comfort and air-quality bands that colour the live board (Korean indoor-air and PM grades)."""

from __future__ import annotations

BAND_ORDER = ("good", "fair", "poor", "bad")
# Upper bounds of good / fair / poor; above the last is bad. PM bands follow 에어코리아's grades.
UPPER: dict[str, tuple[float, float, float]] = {
    "co2": (800, 1000, 2000),
    "pm25": (15, 35, 75),
    "pm10": (30, 80, 150),
}
# Comfortable ranges: inside the first is good, inside the second fair, else poor.
RANGES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "temperature": ((20, 26), (18, 28)),
    "humidity": ((40, 60), (30, 70)),
}
BOARD_METRICS = ("temperature", "humidity", "co2", "pm25", "people_count")


def band(metric: str, value: float) -> str | None:
    """The band of a value, or None for metrics without one."""
    if metric in UPPER:
        for name, bound in zip(BAND_ORDER, UPPER[metric], strict=False):
            if value <= bound:
                return name
        return "bad"
    if metric in RANGES:
        (good_lo, good_hi), (fair_lo, fair_hi) = RANGES[metric]
        if good_lo <= value <= good_hi:
            return "good"
        return "fair" if fair_lo <= value <= fair_hi else "poor"
    return None


def worst(bands: list[str | None]) -> str:
    found = [b for b in bands if b]
    return max(found, key=BAND_ORDER.index) if found else "none"
