"""Comfort windows, modes, optimum start, presence and metering as pure functions of given times."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from facility.energy.accounting import hourly_kwh
from facility.energy.kinds import KIND_RULES, EnergyKind, Mode
from facility.energy.learning import learned_lead, time_to_setpoint
from facility.energy.presence import presence_in
from facility.energy.windows import Occupation, comfort_windows, day_timeline, mode_at
from facility.sensors.store import Point

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 12, 8)
LECTURE = KIND_RULES[EnergyKind.lecture]


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL)


def booking(start: datetime, end: datetime, ref: int = 1) -> Occupation:
    return Occupation(start, end, "booking", ref, "강의")


def modes_of(occupations: list[Occupation], rules=LECTURE, day: date = DAY) -> list[tuple[str, str, Mode]]:  # type: ignore[no-untyped-def]
    windows = comfort_windows(occupations, rules, SEOUL)
    return [
        (s.start.astimezone(SEOUL).strftime("%d %H:%M"), s.end.astimezone(SEOUL).strftime("%d %H:%M"), s.mode)
        for s in day_timeline(windows, rules, day, SEOUL)
    ]


def test_a_booking_gives_comfort_from_its_start_minus_the_lead_to_its_end_plus_the_hold() -> None:
    assert modes_of([booking(at(10), at(12))]) == [
        ("08 00:00", "08 07:00", Mode.protection),
        ("08 07:00", "08 09:30", Mode.economy),
        ("08 09:30", "08 12:15", Mode.comfort),
        ("08 12:15", "08 22:00", Mode.economy),
        ("08 22:00", "09 00:00", Mode.protection),
    ]


def test_a_learned_lead_replaces_the_kinds() -> None:
    windows = comfort_windows([booking(at(10), at(12))], LECTURE, SEOUL, lead=timedelta(minutes=75))
    assert windows[0].start == at(8, 45)


def test_close_bookings_merge_a_short_gap_idles_in_pre_comfort_a_long_one_in_economy() -> None:
    merged = comfort_windows([booking(at(9), at(10)), booking(at(10, 30), at(12), 2)], LECTURE, SEOUL)
    assert len(merged) == 1 and [o.ref_id for o in merged[0].sources] == [1, 2]
    assert ("08 12:15", "08 13:30", Mode.pre_comfort) in modes_of([booking(at(9), at(12)), booking(at(14), at(16), 2)])
    assert ("08 12:15", "08 16:30", Mode.economy) in modes_of([booking(at(9), at(12)), booking(at(17), at(18), 2)])


def test_no_booking_is_protection_all_day_and_a_plant_room_is_never_switched_off() -> None:
    assert modes_of([]) == [("08 00:00", "09 00:00", Mode.protection)]
    assert modes_of([], KIND_RULES[EnergyKind.always_on]) == [("08 00:00", "09 00:00", Mode.comfort)]


def test_an_all_day_booking_is_conditioned_in_the_day_hours_not_all_night() -> None:
    all_day = Occupation(at(0), at(0, day=DAY + timedelta(days=1)), "booking", 1, "종일 행사")
    segments = modes_of([all_day])
    assert ("08 06:30", "08 22:15", Mode.comfort) in segments
    assert segments[0] == ("08 00:00", "08 06:30", Mode.protection)
    assert comfort_windows([all_day], LECTURE, SEOUL)[0].all_day


def test_an_overnight_booking_keeps_comfort_across_midnight_and_a_dormitory_stays_conditioned() -> None:
    overnight = booking(at(20), at(2, day=DAY + timedelta(days=1)))
    assert modes_of([overnight])[-1] == ("08 19:30", "09 00:00", Mode.comfort)
    assert modes_of([overnight], day=DAY + timedelta(days=1))[0] == ("09 00:00", "09 02:15", Mode.comfort)
    stay = Occupation(at(15), at(11, day=DAY + timedelta(days=2)), "booking", 1, "숙박")
    dorm = KIND_RULES[EnergyKind.dormitory]
    assert modes_of([stay], dorm, DAY + timedelta(days=1)) == [("09 00:00", "10 00:00", Mode.comfort)]


def test_mode_at_reads_the_segment_in_force() -> None:
    windows = comfort_windows([booking(at(10), at(12))], LECTURE, SEOUL)
    timeline = day_timeline(windows, LECTURE, DAY, SEOUL)
    assert mode_at(timeline, at(9, 29)).mode == Mode.economy  # type: ignore[union-attr]
    assert mode_at(timeline, at(9, 30)).mode == Mode.comfort  # type: ignore[union-attr]
    assert mode_at(timeline, at(12, 15)).mode == Mode.economy  # type: ignore[union-attr]


def test_optimum_start_learns_the_median_ramp_with_a_margin_within_the_bounds() -> None:
    start = at(8)
    ramp = [Point(start + timedelta(minutes=10 * i), 17.0 + i) for i in range(8)]
    assert time_to_setpoint(ramp, start, 22.0) == timedelta(minutes=50)  # 21.5 is within 0.5 °C
    assert time_to_setpoint(ramp[:3], start, 22.0) is None
    cooling = [Point(start + timedelta(minutes=10 * i), 28.0 - i) for i in range(8)]
    assert time_to_setpoint(cooling, start, 24.0) == timedelta(minutes=40)
    low, high = timedelta(minutes=15), timedelta(minutes=180)
    ramps = [timedelta(minutes=m) for m in (40, 50, 60)]
    assert learned_lead(ramps, minimum=low, maximum=high) == timedelta(minutes=60)
    assert learned_lead([timedelta(minutes=5)], minimum=low, maximum=high) == low
    assert learned_lead([None, None, timedelta(minutes=30)], minimum=low, maximum=high) == high
    assert learned_lead([], minimum=low, maximum=high) is None


def test_presence_from_occupancy_people_co2_rise_or_power_draw_and_silence_is_not_absence() -> None:
    t = at(10)
    flat = [Point(t, 450.0), Point(t + timedelta(minutes=10), 480.0)]
    assert presence_in({"occupancy": [Point(t, 0.0)], "co2": flat}).present is False
    assert presence_in({"occupancy": [Point(t, 0.0)], "co2": flat}).measured is True
    assert presence_in({"co2": [Point(t, 450.0), Point(t, 700.0)]}).present
    assert presence_in({"power": [Point(t, 20.0), Point(t, 400.0)]}).present
    assert presence_in({"people_count": [Point(t, 3.0)]}).present
    assert presence_in({}).measured is False


def test_hourly_kwh_from_a_counter_survives_a_reset() -> None:
    t = at(10)
    points = [Point(t, 100.0), Point(t + timedelta(minutes=30), 101.0), Point(t + timedelta(minutes=70), 0.5)]
    used = hourly_kwh(points)
    assert used[t] == 1.0 and used[t + timedelta(hours=1)] == 0.5
