"""Occurrences of a recurring rule in local wall-clock time, shared by series (series.py) and the
slots of a series lottery (lottery_guard.py), which series.py's imports would make circular."""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _

# A series may not run past this many occurrences or this far ahead.
MAX_OCCURRENCES = 104
MAX_SPAN = timedelta(days=366)


def occurrence_key(local_start: datetime) -> str:
    return local_start.replace(tzinfo=None).isoformat(timespec="minutes")


def expand(rule: str, first_local: datetime, *, exdates: list[str] | None = None) -> list[datetime]:
    """Local (aware) starts of the series, the first included, without deleted occurrences."""
    zone = first_local.tzinfo
    naive_first = first_local.replace(tzinfo=None)
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    try:
        recurrence = rrulestr(text, dtstart=naive_first, ignoretz=True)
    except (ValueError, TypeError) as error:
        raise InvalidInput(_("The recurrence rule is not valid: {error}", error=error)) from None
    skipped = set(exdates or [])
    horizon = naive_first + MAX_SPAN
    starts: list[datetime] = []
    for moment in recurrence:  # type: ignore[attr-defined]
        if moment > horizon or len(starts) >= MAX_OCCURRENCES:
            break
        if occurrence_key(moment) not in skipped:
            starts.append(moment.replace(tzinfo=zone))
    if not starts:
        raise InvalidInput(_("The recurrence rule gives no occurrence."))
    return starts
