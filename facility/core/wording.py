"""Dates and recurrence rules in words, in Korean or English, from the core catalogue's pieces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from facility.core.i18n import translate

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Parts this wording covers; a rule with any other part is shown as written rather than half-said.
ORDINALS = {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "-1": "last"}
KNOWN_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYHOUR", "BYMINUTE", "COUNT", "UNTIL"})


def day_label(value: date | datetime, lang: str, zone: ZoneInfo, today: date, *, with_time: bool = False) -> str:
    """`11월 30일 (월)` or `Mon 30 Nov`; the year only when it is not this year."""
    local = value.astimezone(zone) if isinstance(value, datetime) else value
    day = local.date() if isinstance(local, datetime) else local
    parts = {
        "year": day.year,
        "month": translate(f"month.short.{day.month}", lang),
        "day": day.day,
        "weekday": translate(f"weekday.{day.weekday()}", lang),
    }
    key = "date.this_year" if day.year == today.year else "date.other_year"
    text = translate(key, lang).format(**parts)
    if with_time and isinstance(local, datetime):
        text += f" {local:%H:%M}"
    return text


def recurrence_label(rule: str, lang: str) -> str:
    """`FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9` -> `매월 첫째 월요일 09:00` / `Monthly on the first Monday at 09:00`."""
    parts = _parse_rule(rule)
    if parts is None:
        return rule

    def t(key: str) -> str:
        return translate(key, lang)

    frequency = parts["FREQ"].lower()
    interval = int(parts.get("INTERVAL", "1"))
    words = [t(f"rrule.{frequency}") if interval == 1 else t(f"rrule.every.{frequency}").format(n=interval)]
    months = ", ".join(t(f"month.{m}") for m in _numbers(parts.get("BYMONTH", "")))
    monthdays = ", ".join(str(d) for d in _numbers(parts.get("BYMONTHDAY", "")))
    if months and monthdays:
        words.append(t("rrule.on_date").format(month=months, day=monthdays))
    elif monthdays:
        words.append(t("rrule.on_monthday").format(day=monthdays))
    elif months:
        words.append(t("rrule.in_month").format(month=months))
    if parts.get("BYDAY"):
        words.append(_weekdays(parts["BYDAY"], t))
    if "BYHOUR" in parts:
        minutes = _numbers(parts.get("BYMINUTE", "0")) or [0]
        times = ", ".join(f"{h:02d}:{m:02d}" for h in _numbers(parts["BYHOUR"]) for m in minutes)
        words.append(t("rrule.at").format(time=times))
    text = " ".join(words)
    if "COUNT" in parts:
        text += ", " + t("rrule.count").format(n=int(parts["COUNT"]))
    if "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        text += ", " + t("rrule.until").format(date=f"{until[:4]}-{until[4:6]}-{until[6:8]}")
    return text


def _parse_rule(rule: str) -> dict[str, str] | None:
    body = rule.strip().removeprefix("RRULE:")
    if not body or "\n" in body:
        return None
    try:
        parts = dict(item.split("=", 1) for item in body.upper().split(";") if item)
        _numbers(parts.get("INTERVAL", "1") + "," + parts.get("COUNT", "1"))
    except ValueError:
        return None
    if parts.get("FREQ") not in FREQUENCIES or not parts.keys() <= KNOWN_PARTS:
        return None
    for item in filter(None, parts.get("BYDAY", "").split(",")):
        if item[-2:] not in WEEKDAYS or item[:-2].lstrip("+") not in {"", *ORDINALS}:
            return None
    return parts


def _numbers(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def _weekdays(byday: str, t: Callable[[str], str]) -> str:
    plain, ordinal = [], []
    for item in byday.split(","):
        code, nth = item[-2:], item[:-2].lstrip("+")
        name = t(f"weekday.long.{WEEKDAYS.index(code)}")
        if nth:
            ordinal.append(t("rrule.on_nth_weekday").format(nth=t(f"rrule.nth.{ORDINALS[nth]}"), weekday=name))
        else:
            plain.append(name)
    if plain:
        return " ".join([t("rrule.on_weekdays").format(days=", ".join(plain)), *ordinal])
    return " ".join(ordinal)


def audit_action_label(action: str, lang: str) -> str:
    """`booking.approved` -> `예약 · 승인` / `Booking · approved`: the audit log's `<entity>.<verb>` codes
    in words, each half from the catalogue (`audit.entity.*`, `audit.verb.*`); a half the catalogue
    does not know keeps the code, so a new action still shows, as written, until it is worded."""
    entity, _dot, verb = action.partition(".")
    words = [translate(f"audit.entity.{entity}", lang), translate(f"audit.verb.{verb}", lang) if verb else ""]
    if words[0].startswith("audit.") or words[1].startswith("audit."):
        return action
    return " · ".join(w for w in words if w)


def audit_entity_label(entity: str, lang: str) -> str:
    """`booking_block` -> `차단 일정`: the audit log's table names in words, else as written."""
    label = translate(f"audit.entity.{entity}", lang)
    return entity if label.startswith("audit.") else label
