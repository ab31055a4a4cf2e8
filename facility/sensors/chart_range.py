"""The time range of a room's charts: a preset window, or a zoomed from..to chosen by links or a
small form, all as plain query strings so the charts stay server-rendered SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _

# The shortest range worth a chart (a zoom in stops there) and the longest one (the year window).
SHORTEST = timedelta(minutes=30)
LONGEST = timedelta(days=366)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class ChartRange:
    start: datetime
    end: datetime
    window: str  # the preset's key, or "" for a chosen from..to

    def query(self, start: datetime, end: datetime, zone: ZoneInfo) -> str:
        return "?" + urlencode({"start": local_text(start, zone), "end": local_text(end, zone)})

    def zoom_links(self, zone: ZoneInfo, now: datetime) -> dict[str, str]:
        """Queries for earlier / later by half a range, zoom in to the middle half, zoom out ×2;
        a link that would leave the allowed span is left out."""
        span = self.end - self.start
        middle = self.start + span / 2
        links = {"earlier": self.query(self.start - span / 2, self.end - span / 2, zone)}
        if self.end < now:
            later_end = min(self.end + span / 2, now)
            links["later"] = self.query(later_end - span, later_end, zone)
        if span / 2 >= SHORTEST:
            links["zoom_in"] = self.query(middle - span / 4, middle + span / 4, zone)
        if span * 2 <= LONGEST:
            out_end = min(middle + span, now)
            links["zoom_out"] = self.query(out_end - span * 2, out_end, zone)
        return links


def local_text(ts: datetime, zone: ZoneInfo) -> str:
    """A time as a datetime-local input shows it, in the facility's zone."""
    return ts.astimezone(zone).strftime(LOCAL_FORMAT)


def _parse(text: str, zone: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(_("Give the chart's times as date and time, e.g. 2026-12-07T09:00.")) from None
    return value if value.tzinfo else value.replace(tzinfo=zone)


def chart_range(
    windows: dict[str, timedelta], window: str, start: str, end: str, zone: ZoneInfo, now: datetime
) -> ChartRange:
    """The preset window unless both `start` and `end` are given; a bad or reversed range, one
    shorter than SHORTEST, longer than LONGEST or wholly in the future is refused (422)."""
    if not start and not end:
        key = window if window in windows else "24h"
        return ChartRange(now - windows[key], now, key)
    if len(start) > 40 or len(end) > 40 or not start or not end:
        raise InvalidInput(_("Choose both the start and the end of the chart."))
    begins, ends = _parse(start, zone), _parse(end, zone)
    if ends - begins < SHORTEST:
        raise InvalidInput(_("The chart's end must be at least 30 minutes after its start."))
    if ends - begins > LONGEST:
        raise InvalidInput(_("A chart covers at most one year."))
    if begins >= now:
        raise InvalidInput(_("The chart's start must be in the past."))
    return ChartRange(begins, min(ends, now), "")
