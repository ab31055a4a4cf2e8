"""What every kind of import provides: its columns, the key a row is matched by, and how a row is
written or a table exported."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from sqlmodel import Session

from facility.core.i18n import gettext as _
from facility.core.models import User
from facility.imports.rows import INT4_MAX, Column, Row
from facility.rooms.models import END_OF_DAY


class Importer:
    kind: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    # Rows are matched on this column: an existing row with the same value is updated.
    key_column: ClassVar[str] = "code"
    # Where a refusal from a service (not tied to one cell) is reported.
    error_column: ClassVar[str] = "code"
    # Whether `apply` may write before a check fails, so each row needs a savepoint of its own.
    row_savepoints: ClassVar[bool] = False

    def __init__(self, session: Session, actor: User | None, notes: list[str], *, base_url: str = "") -> None:
        self.session = session
        self.actor = actor
        self.notes = notes
        # The site's address, for links sent to people the file creates (staff invitations).
        self.base_url = base_url
        self.pending: list[Callable[[], object]] = []

    def later(self, step: Callable[[], object]) -> None:
        """Run `step` after the next flush, when the rows created before it have their ids."""
        self.pending.append(step)

    def flush(self) -> None:
        """Write what the rows since the last flush created (many rows per statement), then their parts."""
        self.session.flush()
        while self.pending:
            steps, self.pending = self.pending, []
            for step in steps:
                step()
            self.session.flush()

    def key(self, row: Row) -> str:
        return row.values.get(self.key_column, "").strip()

    def apply(self, row: Row) -> str:
        """Check one row, then write it; returns 'created', 'updated' or 'unchanged' ('' when refused).

        Every check comes before the first write (unless `row_savepoints`), so a refused row writes nothing.
        """
        raise NotImplementedError

    def export_rows(self) -> list[dict[str, str]]:
        raise NotImplementedError


def fmt_hours(pair: tuple[object, object] | None) -> str:
    if pair is None:
        return ""
    opens, closes = pair
    if opens is None or closes is None:
        return "closed"
    if closes == END_OF_DAY:
        return f"{opens:%H:%M}-24:00"  # type: ignore[str-format]
    return f"{opens:%H:%M}-{closes:%H:%M}"  # type: ignore[str-format]


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def fmt_bool(value: bool) -> str:
    return "yes" if value else "no"


def parse_pairs(row: Row, column: str) -> dict[str, int] | None:
    """`projector:2; wireless_mic` -> {"projector": 2, "wireless_mic": 1} (`=` works for `:`)."""
    value = row.text(column, max_length=2000)
    result: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        name, _sep, amount = part.replace("=", ":").partition(":")
        digits = amount.strip().replace(",", "") or "1"
        if not digits.isdecimal() or int(digits) > INT4_MAX:
            row.problem(column, _("'{part}': the amount is not a whole number.", part=part))
            return None
        result[name.strip()] = int(digits)
    return result


def fmt_pairs(pairs: dict[str, int], *, always_amount: bool = False) -> str:
    return "; ".join(f"{k}:{v}" if always_amount or v != 1 else k for k, v in sorted(pairs.items()))
