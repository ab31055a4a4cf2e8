"""Import a file of one kind all-or-nothing, or export a kind; one audit entry per import."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.config import ImportLimits
from facility.core.errors import FacilityError, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import Role, User
from facility.imports import korean
from facility.imports.base import Importer
from facility.imports.files import Table, UnreadableFile, read_table, write_csv, write_xlsx
from facility.imports.kinds_booking import BlackoutImporter, FeeImporter, TimetableImporter
from facility.imports.kinds_campus import BuildingImporter, RoomImporter
from facility.imports.kinds_people import AssetImporter, UserImporter
from facility.imports.rows import Column, Problem, Row

# In the order a new campus fills them in: later kinds refer to codes of earlier ones.
IMPORTERS: dict[str, type[Importer]] = {
    cls.kind: cls
    for cls in (
        BuildingImporter,
        RoomImporter,
        AssetImporter,
        UserImporter,
        FeeImporter,
        BlackoutImporter,
        TimetableImporter,
    )
}
KINDS = tuple(IMPORTERS)
# Rows written per flush on the fast pass: their INSERTs go many rows to a statement.
FLUSH_EVERY = 500


@dataclass
class PreviewRow:
    number: int
    values: dict[str, str]
    outcome: str = ""
    problems: list[Problem] = field(default_factory=list)

    def messages(self) -> dict[str, str]:
        """Each column's problems as one text, so the preview's cells look them up, not filter them."""
        found: dict[str, list[str]] = {}
        for problem in self.problems:
            found.setdefault(problem.column, []).append(problem.message)
        return {column: " ".join(texts) for column, texts in found.items()}


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    header: list[str] = field(default_factory=list)
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> dict[str, int]:
        return {"rows": len(self.rows), **{k: self.counts[k] for k in ("created", "updated", "unchanged")}}


def importer_class(kind: str) -> type[Importer]:
    if kind not in IMPORTERS:
        raise InvalidInput(_("Unknown kind '{kind}'; one of: {kinds}.", kind=kind, kinds=", ".join(KINDS)))
    return IMPORTERS[kind]


def _name_columns(cls: type[Importer], table: Table) -> None:
    """Korean or English headers (수용 인원, Capacity) read as the column codes they name."""
    spellings = korean.header_names(c.name for c in cls.columns)
    table.header = [spellings.get(korean.squeeze(name), name) for name in table.header]


def _check_header(cls: type[Importer], table: Table, report: ImportReport) -> bool:
    names = {c.name for c in cls.columns}
    at = table.header_row
    for column in cls.columns:
        if column.required and column.name not in table.header:
            report.problems.append(Problem(at, column.name, _("The column is missing.")))
    seen: set[str] = set()
    for name in table.header:
        if name not in names:
            report.problems.append(Problem(at, name, _("Unknown column.")))
        elif name in seen:
            report.problems.append(Problem(at, name, _("The column appears twice.")))
        seen.add(name)
    return not report.problems


def _check_cells(row: Row, header: list[str], cells: list[str], limits: ImportLimits) -> None:
    """What no column accepts: a NUL byte, a field over the limit, cells beyond the header."""
    for name, value in zip(header, cells, strict=False):
        if "\x00" in value:
            row.problem(name, _("The cell holds a NUL character."))
        elif len(value) > limits.field_chars:
            row.problem(name, _("The cell is longer than {n} characters.", n=f"{limits.field_chars:,}"))
    if len(cells) > len(header):
        row.problem(
            header[-1],
            _(
                "The row has {n} cells but the header names {m} columns; put a cell holding a comma in quotes.",
                n=len(cells),
                m=len(header),
            ),
        )


def run_import(
    session: Session,
    actor: User | None,
    kind: str,
    data: bytes,
    *,
    dry_run: bool,
    limits: ImportLimits,
    filename: str = "",
    base_url: str = "",
) -> ImportReport:
    """Check every row and write them all, or write nothing if any row has a problem (or on a dry run)."""
    if actor is not None:
        ensure_role(actor, Role.admin)
    cls = importer_class(kind)
    report = ImportReport(kind=kind, dry_run=dry_run)
    try:
        table = read_table(data, limits)
    except UnreadableFile as error:
        report.problems.append(Problem(1, "", str(error)))
        return report
    _name_columns(cls, table)
    report.header = table.header
    if not table.header:
        report.problems.append(Problem(1, "", _("The file is empty.")))
        return report
    if not _check_header(cls, table, report):
        return report
    savepoint = session.begin_nested()
    try:
        importer = cls(session, actor, report.notes, base_url=base_url)
        _check_rows(importer, table, report, limits, careful=cls.row_savepoints)
    except (_Replay, IntegrityError, DataError):
        # A write the database refused aborted the fast pass: again, each row under its own
        # savepoint, so every refused row is named and the others still checked.
        savepoint.rollback()
        report = ImportReport(kind=kind, dry_run=dry_run, header=table.header)
        savepoint = session.begin_nested()
        _check_rows(cls(session, actor, report.notes, base_url=base_url), table, report, limits, careful=True)
    if report.ok and not dry_run:
        savepoint.commit()
        audit.record(
            session,
            actor,
            f"import.{kind}",
            "import",
            kind,
            after={"file": filename, **report.summary(), "notes": len(report.notes)},
        )
        session.flush()
    else:
        savepoint.rollback()
    return report


def _check_rows(importer: Importer, table: Table, report: ImportReport, limits: ImportLimits, *, careful: bool) -> None:
    """Check and write every row into the report; `careful` gives each row its own savepoint."""
    columns: dict[str, Column] = {c.name: c for c in importer.columns}
    first_seen: dict[str, int] = {}
    for count, (number, cells) in enumerate(table.rows, start=1):
        padded = cells + [""] * (len(table.header) - len(cells))
        preview = PreviewRow(number=number, values=dict(zip(table.header, padded, strict=False)))
        row = Row(number, preview.values, preview.problems, columns)
        _check_cells(row, table.header, cells, limits)
        key = importer.key(row)
        if key in first_seen:
            row.problem(importer.key_column, _("Duplicate: the same as row {n}.", n=first_seen[key]))
        elif key:
            first_seen[key] = row.number
        # A duplicate is still read, so every problem of its cells is listed too (nothing is written).
        preview.outcome = _apply_row(importer, row) if careful else _apply_fast(importer, row)
        report.rows.append(preview)
        report.problems.extend(preview.problems)
        if preview.outcome:
            report.counts[preview.outcome] += 1
        if count % FLUSH_EVERY == 0:
            importer.flush()
    importer.flush()


def _apply_fast(importer: Importer, row: Row) -> str:
    """One row written straight into the import's savepoint: its checks come before its writes."""
    try:
        return importer.apply(row)
    except (FacilityError, IntegrityError, DataError):
        raise _Replay from None


class _Replay(Exception):
    """The fast pass hit a refused write; the import is checked again row by row."""


def _apply_row(importer: Importer, row: Row) -> str:
    """One row under its own savepoint, so a refused row leaves the others' checks meaningful."""
    try:
        with importer.session.begin_nested():
            outcome = importer.apply(row)
            importer.flush()
            if not row.ok:
                raise _RowRefused
            return outcome
    except _RowRefused:
        return ""
    except FacilityError as error:
        row.problem(importer.error_column, error.message)
    except (IntegrityError, DataError) as error:
        row.problem(importer.error_column, _("The database refused the row ({reason}).", reason=_first_line(error)))
    return ""


class _RowRefused(Exception):
    """Rolls back a row whose checks found a problem after it began writing."""


def _first_line(error: Exception) -> str:
    return str(getattr(error, "orig", error)).splitlines()[0][:200]


def export_rows(session: Session, actor: User | None, kind: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a kind, in the import's own columns (so the file imports back unchanged)."""
    if actor is not None:
        ensure_role(actor, Role.admin, Role.manager)
    cls = importer_class(kind)
    return [c.name for c in cls.columns], cls(session, actor, []).export_rows()


def export_file(session: Session, actor: User | None, kind: str, *, xlsx: bool) -> bytes:
    return as_file(*export_rows(session, actor, kind), kind, xlsx=xlsx)


def as_file(header: list[str], rows: list[dict[str, str]], kind: str, *, xlsx: bool) -> bytes:
    """Exported rows as an XLSX workbook or a CSV file (needs no database)."""
    return write_xlsx(header, rows, kind) if xlsx else write_csv(header, rows)


def problem_lines(report: ImportReport) -> list[str]:
    return [str(p) for p in report.problems]


def as_json(report: ImportReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "dry_run": report.dry_run,
        "applied": report.applied,
        "counts": report.summary(),
        "problems": [{"row": p.row, "column": p.column, "message": p.message} for p in report.problems],
        "notes": report.notes,
    }
