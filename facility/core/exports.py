"""CSV downloads: cells cannot become spreadsheet formulas, parameters come from a whitelist,
and the file name in `Content-Disposition` is built only from validated values."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import quote

from fastapi.responses import Response

from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What a file name may hold: our own words, dates and whitelisted values, never free text.
SAFE_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.csv$")
MONTH_PATTERN = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")


def neutralise(cell: object) -> object:
    """A text cell that a spreadsheet would evaluate gets a leading apostrophe; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def choice(name: str, value: str, allowed: Iterable[str]) -> str:
    """The parameter's value when it is one of the allowed ones, else 422 naming them."""
    options = list(allowed)
    if value not in options:
        raise InvalidInput(
            _("The parameter {name} must be one of: {options}.", name=name, options=", ".join(options)),
            extra={"parameter": name, "allowed": options},
        )
    return value


def month(name: str, value: str) -> date | None:
    """A `YYYY-MM` parameter as its first day; empty is None; anything else 422."""
    if not value:
        return None
    if not MONTH_PATTERN.match(value):
        raise InvalidInput(_("The parameter {name} must be a month written YYYY-MM.", name=name))
    return date(int(value[:4]), int(value[5:]), 1)


def content_disposition(filename: str) -> str:
    """RFC 6266 `attachment` with both `filename` and `filename*`; refuses anything but a safe name."""
    if not SAFE_FILENAME.match(filename):
        raise ValueError(f"unsafe export file name {filename!r}")
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


def csv_response(rows: Iterable[Sequence[object]], *, filename: str) -> Response:
    """A UTF-8 CSV download with a byte-order mark (so Excel on Korean Windows reads Hangul)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition(filename)},
    )
