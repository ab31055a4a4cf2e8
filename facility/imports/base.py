"""What every kind of import provides: its columns, the key a row is matched by, and how a row is
written or a table exported."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from typing import ClassVar

import psycopg
from sqlalchemy import Connection, insert, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, SQLModel

from facility.core.i18n import gettext as _
from facility.core.memo import note_written
from facility.core.models import User
from facility.imports.rows import INT4_MAX, Column, Row
from facility.rooms.models import END_OF_DAY


def _copy_rows(connection: Connection, table: str, rows: list[dict[str, object]]) -> None:
    """PostgreSQL's COPY: one statement for all rows, none of them parsed as SQL text (a multi-row
    INSERT of 100,000 parameters costs the driver seconds to parse), statement triggers fire once."""
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table}" ({names}) FROM STDIN'
    try:
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
    except psycopg.IntegrityError as error:  # as SQLAlchemy's, which the import catches and names
        raise IntegrityError(statement, None, error) from error
    except psycopg.DataError as error:
        raise DataError(statement, None, error) from error


# Ids a PostgreSQL import reserves from a table's sequence at a time (one round trip per block).
ID_BLOCK = 500
RESERVE_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


class Created:
    """A row this import creates, as far as later rows of the file need it: its id."""

    def __init__(self, id_: int) -> None:
        self.id = id_


def complete_row(model: type[SQLModel], values: dict[str, object]) -> dict[str, object]:
    """`values` with every other column at the model's default, as building the model would give."""
    defaults, factories = _defaults(model)
    row = values | {name: value for name, value in defaults.items() if name not in values}
    for name, factory in factories.items():
        if name not in values:
            row[name] = factory()
    return row


@cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, object], dict[str, Callable[[], object]]]:
    """A model's plain defaults and its default factories (created_at), by field."""
    defaults: dict[str, object] = {}
    factories: dict[str, Callable[[], object]] = {}
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        if info.default_factory is not None:
            factories[name] = info.default_factory  # type: ignore[assignment]
        else:
            defaults[name] = info.get_default()
    return defaults, factories


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
        self.inserts: dict[type[SQLModel], list[dict[str, object]]] = {}
        self.creates: dict[type[SQLModel], list[dict[str, object]]] = {}
        self.reserved: dict[type[SQLModel], list[int]] = {}

    def insert_later(self, model: type[SQLModel], values: dict[str, object]) -> None:
        """A new row nothing in the import reads back (a room's hours): inserted at the next flush
        with its kind, many rows per statement, without building an ORM object for it."""
        self.inserts.setdefault(model, []).append(values)

    def create(self, model: type[SQLModel], values: dict[str, object]) -> int:
        """A new row, without the ORM object (building one validates every field: a second per
        thousand rows); returns its id. PostgreSQL reserves the id from the table's sequence and
        writes the row at the next flush, so rows after it (its parts) refer to it without a flush
        between; SQLite, in process, inserts it at once."""
        row = complete_row(model, values)
        table = model.__table__  # type: ignore[attr-defined]
        connection = self.session.connection()
        if connection.dialect.name != "postgresql":
            note_written(connection, table.name)
            inserted = connection.execute(insert(table).values(row)).inserted_primary_key
            return int(inserted[0])  # type: ignore[index]
        ids = self.reserved.setdefault(model, [])
        if not ids:
            found = connection.execute(RESERVE_IDS, {"table": table.name, "n": ID_BLOCK}).scalars()
            ids.extend(reversed(list(found)))
        row["id"] = ids.pop()
        self.creates.setdefault(model, []).append(row)
        return int(row["id"])  # type: ignore[call-overload]

    def flush(self) -> None:
        """Write what the rows since the last flush created (many rows per statement), then their parts."""
        # Created rows first: an update or a part written after may refer to one of them.
        creates, self.creates = self.creates, {}
        self._write(creates)
        self.session.flush()
        inserts, self.inserts = self.inserts, {}
        self._write(inserts)

    def _write(self, inserts: dict[type[SQLModel], list[dict[str, object]]]) -> None:
        for model, rows in inserts.items():
            table = model.__table__  # type: ignore[attr-defined]
            connection = self.session.connection()
            if connection.dialect.name == "postgresql":
                _copy_rows(connection, table.name, rows)
            else:
                connection.execute(insert(table), rows)
            note_written(connection, table.name)

    def key(self, row: Row) -> str:
        return row.values.get(self.key_column, "").strip()

    def apply(self, row: Row) -> str:
        """Check one row, then write it; returns 'created', 'updated' or 'unchanged' ('' when refused).

        Every check comes before the first write (unless `row_savepoints`), so a refused row writes nothing.
        """
        raise NotImplementedError

    def export_rows(self) -> list[dict[str, str]]:
        raise NotImplementedError


@lru_cache(maxsize=1024)
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
