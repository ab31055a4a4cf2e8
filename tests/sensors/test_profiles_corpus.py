"""Every channel of what each family sells, on payloads from its documentation (tests/sensors/corpus.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
