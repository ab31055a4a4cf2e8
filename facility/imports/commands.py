"""`facility import KIND FILE [--dry-run]` and `facility export KIND [FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.engine import Engine

from facility.core.config import active_settings
from facility.core.db import engine_for, session_scope
from facility.core.errors import FacilityError
from facility.imports import service
from facility.imports.files import check_size


def _engine() -> Engine:
    """The engine of the settings the CLI checked and made active at start."""
    return engine_for(active_settings())


def cmd_import(args: argparse.Namespace) -> None:
    limits = active_settings().import_limits
    path = Path(args.file)
    try:
        # The size is known before a byte is read: a file over the limit is never loaded.
        check_size(path.stat().st_size, limits)
        data = path.read_bytes()
        with session_scope(_engine()) as session:
            report = service.run_import(
                session,
                None,
                args.kind,
                data,
                dry_run=args.dry_run,
                limits=limits,
                filename=args.file,
                base_url=active_settings().institution.url,
            )
    except (OSError, FacilityError) as error:
        print(f"error: {getattr(error, 'message', error)}", file=sys.stderr)
        raise SystemExit(1) from None
    for line in service.problem_lines(report):
        print(line, file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}")
    counts = ", ".join(f"{k} {v}" for k, v in report.summary().items())
    if not report.ok:
        print(f"{args.kind}: {len(report.problems)} problem(s); nothing imported ({counts})", file=sys.stderr)
        raise SystemExit(1)
    print(f"{args.kind}: {'dry run, nothing changed' if args.dry_run else 'imported'} ({counts})")


def cmd_export(args: argparse.Namespace) -> None:
    xlsx = bool(args.file) and args.file.lower().endswith(".xlsx")
    with session_scope(_engine(), write=False) as session:
        header, rows = service.export_rows(session, None, args.kind)
    # Written once the transaction has ended: a workbook of 20,000 rows takes longer to write than
    # PostgreSQL lets a transaction sit idle (idle_in_transaction_session_timeout).
    data = service.as_file(header, rows, args.kind, xlsx=xlsx)
    if args.file:
        Path(args.file).write_bytes(data)
        print(f"{args.kind}: written to {args.file}")
    else:
        sys.stdout.buffer.write(data)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the import and export commands to the CLI."""
    imp = commands.add_parser("import", help="import a CSV or XLSX file of one kind, all or nothing")
    imp.add_argument("kind", choices=service.KINDS)
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check every row, change nothing")
    imp.set_defaults(func=cmd_import)
    exp = commands.add_parser("export", help="export one kind as CSV (UTF-8 with BOM) or XLSX (by the file name)")
    exp.add_argument("kind", choices=service.KINDS)
    exp.add_argument("file", nargs="?", help="FILE.csv or FILE.xlsx; standard output (CSV) when omitted")
    exp.set_defaults(func=cmd_export)
