"""One row of an import: typed reads of its cells, each problem named by row and column."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from sqlmodel import Session, SQLModel, select

from facility.core.i18n import gettext as _
from facility.imports import korean
from facility.rooms.models import END_OF_DAY

TRUE_WORDS = {"1", "y", "yes", "true", "o", "예", "네", "가능"}
FALSE_WORDS = {"0", "n", "no", "false", "x", "아니오", "아니요", "불가"}
HOURS = re.compile(r"^(.+?)\s*[-~]\s*(.+)$")
CLOSED_WORDS = {"closed", "휴관", "휴무", "-"}
# What a PostgreSQL INTEGER holds: the widest any number column may be.
INT4_MAX = 2**31 - 1
# Digits with commas every three places (1,234,567), optionally a point and decimals: unambiguous.
GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
PLAIN = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""
    # The range a number in this column must fall in.
    minimum: float = 0
    maximum: float = INT4_MAX


ANY_COLUMN = Column("")


class Row:
    """The cells of one data row; reads record a Problem instead of raising."""

    def __init__(
        self,
        number: int,
        values: Mapping[str, str],
        problems: list[Problem],
        columns: Mapping[str, Column] | None = None,
    ) -> None:
        self.number = number
        self.values = values
        self.problems = problems
        self.columns = columns or {}
        self.ok = True

    def problem(self, column: str, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(self.number, column, message))

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str:
        value = self.values.get(column, "").strip()
        if required and not value:
            self.problem(column, _("A value is required."))
        elif len(value) > max_length:
            self.problem(column, _("At most {n} characters.", n=max_length))
        return value

    def integer(self, column: str, *, required: bool = False, default: int = 0) -> int:
        number = self._number(column, required=required, whole=True)
        if number is None:
            return default
        if not number.is_integer():
            self.problem(column, _("'{value}' is not a whole number.", value=self.values[column].strip()))
            return default
        return int(number)

    def decimal(self, column: str) -> float | None:
        return self._number(column, whole=False)

    def _number(self, column: str, *, whole: bool, required: bool = False) -> float | None:
        """A finite number within the column's range; a comma is a thousands separator only."""
        value = korean.without_count_unit(self.text(column, required=required))
        if not value:
            return None
        # 82,5 or (where a decimal may be meant) 1,234 reads differently in Korea and in Europe.
        if "," in value and (not GROUPED.match(value) or (not whole and value.count(",") == 1 and "." not in value)):
            self.problem(
                column,
                _("'{value}' is ambiguous: write decimals with a point and no commas (82.5, 1234).", value=value),
            )
            return None
        if not PLAIN.match(value.replace(",", "")):
            self.problem(column, _("'{value}' is not a number.", value=value))
            return None
        number = float(value.replace(",", ""))
        bounds = self.columns.get(column, ANY_COLUMN)
        if not math.isfinite(number) or not bounds.minimum <= number <= bounds.maximum:
            self.problem(
                column,
                _(
                    "'{value}' is out of range ({low} to {high}).",
                    value=value,
                    low=f"{bounds.minimum:g}",
                    high=f"{bounds.maximum:,.0f}",
                ),
            )
            return None
        return number

    def boolean(self, column: str, *, default: bool) -> bool:
        value = self.text(column).lower()
        if not value:
            return default
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        self.problem(column, _("'{value}' is not yes or no.", value=value))
        return default

    def day(self, column: str, *, required: bool = False) -> date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        found = korean.read_date(value)
        if found is None:
            self.problem(column, _("'{value}' is not a date (YYYY-MM-DD).", value=value))
        return found

    def clock(self, column: str, *, required: bool = False) -> time | None:
        value = self.text(column, required=required)
        if not value:
            return None
        found = korean.read_clock(value)
        if found is None:
            self.problem(column, _("'{value}' is not a time (HH:MM).", value=value))
        return found

    def moment(self, column: str, zone: Any, *, required: bool = False) -> datetime | None:
        """A local date and time (YYYY-MM-DD HH:MM) as an aware datetime in the campus zone."""
        value = self.text(column, required=required)
        if not value:
            return None
        found: datetime | None
        try:
            found = datetime.fromisoformat(value.replace("T", " "))
        except ValueError:
            found = korean.read_moment(value)  # 2027-03-02 8:00, 2027.3.2 오후 3:00
        if found is None:
            self.problem(column, _("'{value}' is not a date and time (YYYY-MM-DD HH:MM).", value=value))
            return None
        return found.replace(tzinfo=zone)

    def hours(self, column: str) -> tuple[time | None, time | None] | None:
        """Opening hours `08:00-22:00` (`24:00` closes at midnight); `closed` or 휴관 for a closed day;
        empty when not given."""
        value = self.text(column)
        if not value:
            return None
        if value.lower() in CLOSED_WORDS:
            return (None, None)
        opens, closes = _read_span(value)
        if opens is None or closes is None:
            self.problem(column, _("'{value}' is not opening hours like 08:00-22:00 or closed.", value=value))
            return None
        if closes <= opens:
            self.problem(column, _("'{value}' closes before it opens.", value=value))
            return None
        return (opens, closes)

    def choice(
        self, column: str, options: type[StrEnum], *, required: bool = False, default: str = "", labels: str = ""
    ) -> str:
        """A code, or (with `labels`, the catalogue prefix of the options' names) its name: 강의실."""
        value = self.text(column, required=required)
        if not value:
            return default
        values = _values(options)
        if labels and value not in values:
            value = korean.value_names(labels, (o.value for o in options)).get(korean.squeeze(value), value)
        if value not in values:
            allowed = ", ".join(_(labels + o.value) if labels else o.value for o in options)
            self.problem(column, _("'{value}' is not one of: {allowed}.", value=value, allowed=allowed))
            return default
        return value

    def lookup(
        self,
        column: str,
        known: Mapping[str, int],
        what: str,
        *,
        required: bool = False,
        names: Mapping[str, int] | None = None,
    ) -> int | None:
        """The id behind a code in `known` (or a name in `names`, keys squeezed: 교육동); an unknown
        one is a problem naming what it should be."""
        value = self.text(column, required=required)
        if not value:
            return None
        if value not in known and names and korean.squeeze(value) in names:
            return names[korean.squeeze(value)]
        if value not in known:
            self.problem(column, _("Unknown {what} '{value}'.", what=what, value=value))
            return None
        return known[value]


@cache
def _values(options: type[StrEnum]) -> frozenset[str]:
    """An enum's values (iterating an enum per cell cost a second per 10,000 rows)."""
    return frozenset(o.value for o in options)


@lru_cache(maxsize=1024)
def _read_span(value: str) -> tuple[time | None, time | None]:
    """`08:00-22:00` as its two times (None where unreadable); a file repeats a few spans many times."""
    match = HOURS.match(value)
    if not match:
        return (None, None)
    closes = END_OF_DAY if match.group(2).strip() in korean.MIDNIGHT_WORDS else korean.read_clock(match.group(2))
    return (korean.read_clock(match.group(1)), closes)


def codes(session: Session, model: type[SQLModel], column: str = "code") -> dict[str, int]:
    """code -> id of every row of a table."""
    return {code: id_ for code, id_ in session.exec(select(getattr(model, column), model.id))}  # type: ignore[attr-defined]


def rows_by(session: Session, model: type[SQLModel], *columns: str) -> dict[tuple[Any, ...], Any]:
    """Every row of a table by the values of `columns`: one query, so an import never looks up per row."""
    return {tuple(getattr(row, c) for c in columns): row for row in session.exec(select(model))}


def plain_rows(session: Session, model: type[SQLModel]) -> list[Any]:
    """Every row of a table as plain tuples with named fields: for reading only (an export), with
    none of the ORM's bookkeeping per object (seconds for 100,000 opening hours)."""
    return list(session.execute(select(model.__table__)).all())  # type: ignore[attr-defined,call-overload]


def upsert(
    session: Session,
    model: type[SQLModel],
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    known: dict[tuple[Any, ...], Any] | None = None,
    flush: bool = True,
) -> tuple[Any, str]:
    """Create or update the row matched by `key`; says 'created', 'updated' or 'unchanged'.

    With `known` (from `rows_by` on the key's columns) the row is found there, not queried, and a
    created row is added to it. Without `flush` a created row has no id until the next flush.
    """
    if known is not None:
        row = known.get(tuple(key.values()))
    else:
        query = select(model)
        for column, value in key.items():
            query = query.where(getattr(model, column) == value)
        row = session.exec(query).first()
    if row is None:
        row = model(**key, **values)
        outcome = "created"
    else:
        changed = {c: v for c, v in values.items() if getattr(row, c) != v}
        for column, value in changed.items():
            setattr(row, column, value)
        outcome = "updated" if changed else "unchanged"
    session.add(row)
    if flush:
        session.flush()
    if known is not None:
        known[tuple(key.values())] = row
    return row, outcome
