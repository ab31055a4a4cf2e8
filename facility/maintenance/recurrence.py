"""Calendar recurrence: RRULE strings read in the campus time zone, occurrences returned in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from facility.core.i18n import gettext as _
from facility.maintenance.exceptions import InvalidRecurrence

CAMPUS_ZONE = ZoneInfo("Asia/Seoul")


def parse_rule(rule: str, starts_at: datetime, zone: ZoneInfo = CAMPUS_ZONE) -> rrule:
    """The rule anchored at `starts_at` as local wall-clock time, so 09:00 stays 09:00 in Seoul."""
    parts = {p.split("=", 1)[0].upper() for p in rule.split(";") if "=" in p}
    if "BYHOUR" in parts and "BYMINUTE" not in parts:
        # Otherwise dateutil copies the start's minutes and seconds into every occurrence.
        rule += ";BYMINUTE=0;BYSECOND=0"
    try:
        parsed = rrulestr(rule, dtstart=starts_at.astimezone(zone))
    except (ValueError, TypeError) as exc:
        raise InvalidRecurrence(_("Invalid recurrence rule {rule}: {error}", rule=repr(rule), error=exc)) from None
    if not isinstance(parsed, rrule):
        raise InvalidRecurrence(_("Give one RRULE, not a set of rules."))
    return parsed


def validate_rule(rule: str) -> str:
    """Check an RRULE string; returns it stripped of an optional 'RRULE:' prefix."""
    rule = rule.strip().removeprefix("RRULE:")
    parse_rule(rule, datetime(2026, 1, 1, tzinfo=UTC))
    return rule


def occurrences_between(
    rule: str,
    starts_at: datetime,
    after: datetime | None,
    until: datetime,
    zone: ZoneInfo = CAMPUS_ZONE,
) -> list[datetime]:
    """Occurrences strictly after `after` (or from the start) up to `until` inclusive, in UTC."""
    parsed = parse_rule(rule, starts_at, zone)
    lower = after if after is not None else starts_at - timedelta(seconds=1)
    found = parsed.between(lower.astimezone(zone), until.astimezone(zone), inc=True)
    return [moment.astimezone(UTC) for moment in found if moment > lower]


def next_after(rule: str, anchor: datetime, zone: ZoneInfo = CAMPUS_ZONE) -> datetime | None:
    """The first occurrence after `anchor` of the rule restarted at the anchor (floating plans)."""
    parsed = parse_rule(rule, anchor, zone)
    moment = parsed.after(anchor.astimezone(zone), inc=False)
    return moment.astimezone(UTC) if moment else None
