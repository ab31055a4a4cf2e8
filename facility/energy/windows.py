"""Comfort windows from occupations: pure functions of times, no database, no clock.

A booking, an approved series occurrence or a training block is an `Occupation`; each becomes
[start - lead, end + hold], windows closer than the merge gap join, and a local day is cut into
`Segment`s of one mode each. The caller passes the time; tests pass a simulated one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from facility.energy.kinds import Mode, WindowRules

DAY = timedelta(days=1)
# Long enough to be an "all-day" booking even when it was not entered midnight to midnight.
ALL_DAY_AT_LEAST = timedelta(hours=20)


@dataclass(frozen=True)
class Occupation:
    """Someone is expected in the room: a booking, a series occurrence or a block."""

    start: datetime
    end: datetime
    source: str
    ref_id: int
    title: str = ""
    all_day: bool = False


@dataclass(frozen=True)
class ComfortWindow:
    start: datetime
    end: datetime
    sources: tuple[Occupation, ...]

    @property
    def occupied_from(self) -> datetime:
        return min(o.start for o in self.sources)

    @property
    def occupied_until(self) -> datetime:
        return max(o.end for o in self.sources)

    @property
    def all_day(self) -> bool:
        return any(o.all_day for o in self.sources)


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    mode: Mode
    window: ComfortWindow | None = field(default=None, compare=False)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def local_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day as an aware [start, end) (23 or 25 hours where clocks change)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + DAY, time(0), tzinfo=zone)


def is_all_day(occupation: Occupation, zone: ZoneInfo) -> bool:
    """Midnight to midnight local, or 20 hours and more: a calendar's "all day" entry."""
    start, end = occupation.start.astimezone(zone), occupation.end.astimezone(zone)
    midnights = start.time() == time(0) and end.time() == time(0) and end > start
    return midnights or occupation.end - occupation.start >= ALL_DAY_AT_LEAST


def normalise(occupations: Iterable[Occupation], rules: WindowRules, zone: ZoneInfo) -> list[Occupation]:
    """All-day occupations become the room's day hours of each day they span (nobody sits in a
    lecture room at 3 a.m. because a calendar said "all day"); overnight ones stay as they are."""
    result: list[Occupation] = []
    for occupation in occupations:
        if not rules.clip_all_day or not is_all_day(occupation, zone):
            result.append(occupation)
            continue
        day = occupation.start.astimezone(zone).date()
        last = (occupation.end - timedelta(microseconds=1)).astimezone(zone).date()
        while day <= last:
            start = max(occupation.start, datetime.combine(day, rules.day_start, tzinfo=zone))
            end = min(occupation.end, datetime.combine(day, rules.day_end, tzinfo=zone))
            if end > start:
                result.append(replace(occupation, start=start, end=end, all_day=True))
            day += DAY
    return result


def comfort_windows(
    occupations: Iterable[Occupation], rules: WindowRules, zone: ZoneInfo, *, lead: timedelta | None = None
) -> list[ComfortWindow]:
    """Each occupation widened by the lead and the hold; windows closer than the merge gap join."""
    lead = rules.lead if lead is None else lead
    windows: list[ComfortWindow] = []
    for occupation in sorted(normalise(occupations, rules, zone), key=lambda o: (o.start, o.end)):
        start, end = occupation.start - lead, occupation.end + rules.hold
        if windows and start - windows[-1].end <= rules.merge_gap:
            last = windows[-1]
            windows[-1] = ComfortWindow(last.start, max(last.end, end), (*last.sources, occupation))
        else:
            windows.append(ComfortWindow(start, end, (occupation,)))
    return windows


def day_timeline(
    windows: Sequence[ComfortWindow], rules: WindowRules, day: date, zone: ZoneInfo, *, expected: bool = False
) -> list[Segment]:
    """The local day cut into segments of one mode: comfort in a window, pre-comfort in a short gap
    between two windows, economy in the day hours of a day that has a window (or `expected` people:
    a booking released as a no-show may still bring a late walk-in), protection otherwise."""
    day_start, day_end = local_bounds(day, zone)
    if rules.always_on:
        return [Segment(day_start, day_end, Mode.comfort)]
    inside = [w for w in windows if w.end > day_start and w.start < day_end]
    segments: list[Segment] = []
    cursor = day_start
    for window in inside:
        start = max(window.start, day_start)
        if start > cursor:
            gap_mode = _gap_mode(windows, window, rules)
            segments.extend(_idle(cursor, start, gap_mode, bool(inside) or expected, rules, zone))
        segments.append(Segment(start, min(window.end, day_end), Mode.comfort, window))
        cursor = min(window.end, day_end)
    if cursor < day_end:
        segments.extend(_idle(cursor, day_end, None, bool(inside) or expected, rules, zone))
    return _joined(segments)


def _gap_mode(windows: Sequence[ComfortWindow], following: ComfortWindow, rules: WindowRules) -> Mode | None:
    """Pre-comfort when the gap before `following` (from the window before it) is short."""
    before = [w for w in windows if w.end <= following.start]
    if before and following.start - max(w.end for w in before) <= rules.pre_comfort_gap:
        return Mode.pre_comfort
    return None


def _idle(
    start: datetime, end: datetime, gap_mode: Mode | None, used_today: bool, rules: WindowRules, zone: ZoneInfo
) -> list[Segment]:
    """Segments between windows: the gap's mode, or economy in the day hours and protection outside."""
    if gap_mode is not None:
        return [Segment(start, end, gap_mode)]
    if not used_today:
        return [Segment(start, end, Mode.protection)]
    local_day = start.astimezone(zone).date()
    day_on = datetime.combine(local_day, rules.day_start, tzinfo=zone)
    day_off = datetime.combine(local_day, rules.day_end, tzinfo=zone)
    pieces = [
        (start, min(end, day_on), Mode.protection),
        (max(start, day_on), min(end, day_off), Mode.economy),
        (max(start, day_off), end, Mode.protection),
    ]
    return [Segment(a, b, mode) for a, b, mode in pieces if b > a]


def _joined(segments: list[Segment]) -> list[Segment]:
    """Neighbouring idle segments of one mode become one."""
    joined: list[Segment] = []
    for segment in segments:
        last = joined[-1] if joined else None
        if last and last.mode == segment.mode and last.window is None and segment.window is None:
            joined[-1] = Segment(last.start, segment.end, segment.mode)
        else:
            joined.append(segment)
    return joined


def mode_at(segments: Sequence[Segment], at: datetime) -> Segment | None:
    """The segment in force at `at` (None outside the timeline's day)."""
    return next((s for s in segments if s.start <= at < s.end), None)


def next_window(windows: Sequence[ComfortWindow], at: datetime) -> ComfortWindow | None:
    """The window in force at `at`, else the next one."""
    return next((w for w in sorted(windows, key=lambda w: w.start) if w.end > at), None)
