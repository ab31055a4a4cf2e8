"""Korean as people type it in a spreadsheet, read beside the codes: column headers and values by
their catalogue labels ("강의실", "교육동"), counts with their unit ("40명"), floors ("6층",
"지하1층"), and the dates and times Korean Excel shows (`2027.3.3`, `2027-03-02 8:00`, `오후 3:00`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time

from facility.core.i18n import LANGUAGES, translate

# A column's header as people read it: `import.column.<code>` in each language.
COLUMN_KEY = "import.column.{}"
# A count written with its unit: 40명 (people), 120석 (seats), 3개 / 2대 (items).
COUNT_UNIT = re.compile(r"^(.*\d)\s*(명|석|개|대|인)$")
DATE = re.compile(r"^(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?$")
CLOCK = re.compile(r"^(오전|오후|am|pm)?\s*(\d{1,2})\s*[:시]\s*(\d{2})?\s*(분)?\s*(am|pm)?$", re.IGNORECASE)
MONTH = re.compile(r"^(?:\d{4}\s*[-./년]\s*)?(\d{1,2})\s*월?(?:\s*[-./]?\s*\d{1,2}\s*[.일]?)?$")
# Headers people use for a column besides its catalogue labels (the building register says 사용승인일).
HEADER_ALIASES = {"사용승인일": "approval_month", "사용승인일자": "approval_month", "approvaldate": "approval_month"}
FLOOR = re.compile(r"^(지하|b)?\s*(\d{1,3})\s*(층|f)?$", re.IGNORECASE)
# 24:00 as a closing time: open until midnight (facility/rooms/models.py END_OF_DAY).
MIDNIGHT_WORDS = {"24:00", "24시", "자정"}


def squeeze(text: str) -> str:
    """For matching: lower case, without spaces, underscores or hyphens."""
    return re.sub(r"[\s_\-]+", "", text).lower()


def header_names(columns: Iterable[str]) -> dict[str, str]:
    """Every accepted spelling of each column (its code, its Korean and English label) -> the code."""
    found: dict[str, str] = {}
    for code in columns:
        found[squeeze(code)] = code
        for lang in LANGUAGES:
            label = translate(COLUMN_KEY.format(code), lang)
            if not label.startswith("import."):
                found.setdefault(squeeze(label), code)
    codes = set(found.values())
    for alias, code in HEADER_ALIASES.items():
        if code in codes:
            found.setdefault(squeeze(alias), code)
    return found


def value_names(prefix: str, values: Iterable[str]) -> dict[str, str]:
    """A choice's labels in both languages (`kind.lecture_room` -> 강의실, Lecture room) -> its value."""
    found: dict[str, str] = {}
    for value in values:
        for lang in LANGUAGES:
            label = translate(prefix + value, lang)
            if label != prefix + value:
                found.setdefault(squeeze(label), value)
    return found


def without_count_unit(text: str) -> str:
    match = COUNT_UNIT.match(text.strip())
    return match.group(1).strip() if match else text


def read_date(text: str) -> date | None:
    """`2027-03-02`, `2027.3.3`, `2027. 3. 3.`, `2027/3/3`, `2027년 3월 3일`; None if none of them."""
    match = DATE.match(text.strip())
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def read_month(text: str) -> int | None:
    """The month of `6`, `6월`, `2015-06`, `2015-06-30` or `2015년 6월 30일` (a 사용승인일 gives its
    month); None if none of them or not 1 to 12."""
    match = MONTH.match(text.strip())
    if match is None:
        return None
    month = int(match.group(1))
    return month if 1 <= month <= 12 else None


def read_clock(text: str) -> time | None:
    """`8:00`, `08:00`, `오후 3:00`, `3:00 PM`, `15시`, `15시 30분`; None if none of them."""
    match = CLOCK.match(text.strip())
    if match is None:
        return None
    before, hour_text, minute_text, _minutes_word, after = match.groups()
    if ":" in text and minute_text is None:
        return None
    hour, minute = int(hour_text), int(minute_text or 0)
    half = (before or after or "").lower()
    if half in ("오후", "pm") and hour < 12:
        hour += 12
    elif half in ("오전", "am") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def read_moment(text: str) -> datetime | None:
    """A date and a time as above, separated by spaces or `T` (`2027-03-02 8:00`); naive."""
    value = text.strip().replace("T", " ")
    for cut in range(len(value)):
        if value[cut] == " ":
            day, clock = read_date(value[:cut]), read_clock(value[cut + 1 :])
            if day is not None and clock is not None:
                return datetime.combine(day, clock)
    return None


def read_floor(text: str) -> int | None:
    """`6층`, `6F`, `6` -> 6; `지하1층`, `B1` -> -1; None when it is not a floor (there is no 0)."""
    match = FLOOR.match(text.strip())
    if match is None or int(match.group(2)) == 0:
        return None
    level = int(match.group(2))
    return -level if match.group(1) else level


def template_csv(columns: Iterable[str], sample: str, lang: str) -> tuple[list[str], list[dict[str, str]]]:
    """A kind's template: its headers as people read them in `lang` and the shipped sample's rows."""
    import csv
    import io

    codes = list(columns)
    names = [translate(COLUMN_KEY.format(code), lang) for code in codes]
    header = [code if name.startswith("import.") else name for code, name in zip(codes, names, strict=True)]
    rows = [
        {header[codes.index(code)]: value for code, value in row.items() if code in codes}
        for row in csv.DictReader(io.StringIO(sample))
    ]
    return header, rows
