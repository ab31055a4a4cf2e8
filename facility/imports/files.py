"""Reading and writing tables: CSV in the encodings Korean offices save, and XLSX.

A file is untrusted: every limit of `ImportLimits` is checked before or while the parse allocates,
so a small hostile file (a zip bomb, a sheet claiming A1:XFD1048576) is refused, never expanded.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from xml.sax.saxutils import escape, quoteattr

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from facility.core.config import ImportLimits
from facility.core.errors import FacilityError
from facility.core.exports import FORMULA_PREFIXES, neutralise
from facility.core.i18n import gettext as _

# An XLSX file is a zip archive.
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
# CP949 is a superset of EUC-KR: Excel and HWP on Korean Windows save CSV in it.
KOREAN_LEGACY = "cp949"
# Below this a member cannot be a bomb whatever its ratio (a sheet of empty styled cells compresses well).
BOMB_FLOOR_BYTES = 1024 * 1024


class UnreadableFile(ValueError):
    """The bytes are neither CSV in a known encoding nor an XLSX workbook."""


class FileTooLarge(FacilityError):
    """The file exceeds one of the import limits; the message names it and its setting."""

    status_code = 413
    code = "import_too_large"


@dataclass
class Table:
    """The header and the data rows, each with the row number a spreadsheet shows for it."""

    header: list[str] = field(default_factory=list)
    header_row: int = 1
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def detect_encoding(data: bytes) -> str:
    """utf-8-sig for UTF-8 with or without a BOM, else cp949 (EUC-KR) when it decodes."""
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        data.decode(KOREAN_LEGACY)
        return KOREAN_LEGACY
    except UnicodeDecodeError:
        raise UnreadableFile(_("The file is neither UTF-8 nor CP949/EUC-KR text, nor an XLSX workbook.")) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _unneutralise(str(value)).strip()


def _unneutralise(text: str) -> str:
    """An exported `'=...` cell imports back as it was before `neutralise` guarded it."""
    return text[1:] if text.startswith("'") and text[1:2].startswith(FORMULA_PREFIXES) else text


def _too_large(limit: str, setting: str, value: int) -> FileTooLarge:
    return FileTooLarge(
        _(
            "The file exceeds the import limit: {limit} (at most {value}; setting {setting}).",
            limit=limit,
            value=f"{value:,}",
            setting=setting,
        ),
        extra={"limit": setting, "value": value},
    )


def _check_archive(data: bytes, limits: ImportLimits) -> None:
    """Refuse a zip bomb by the sizes its directory declares (zipfile never inflates past them)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError):
        raise UnreadableFile(_("The XLSX workbook cannot be read (damaged archive).")) from None
    if sum(m.file_size for m in members) > limits.unzipped_bytes:
        raise _too_large(_("unzipped size in bytes"), "FACILITY_IMPORT_MAX_UNZIPPED_BYTES", limits.unzipped_bytes)
    for member in members:
        if member.file_size > BOMB_FLOOR_BYTES and member.file_size > limits.zip_ratio * max(member.compress_size, 1):
            raise _too_large(_("compression ratio"), "FACILITY_IMPORT_MAX_ZIP_RATIO", limits.zip_ratio)


def _xlsx_rows(data: bytes, limits: ImportLimits) -> Iterator[Sequence[object]]:
    _check_archive(data, limits)
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        # The declared dimension is the file's claim, not a fact: A1:XFD1048576 would pad every
        # row to 16,384 cells and yield a million empty rows. Rows come as the sheet holds them.
        sheet.reset_dimensions()  # type: ignore[union-attr]
        yield from sheet.iter_rows(values_only=True)
    except (FacilityError, UnreadableFile):
        raise
    except Exception as error:  # openpyxl and zipfile raise many kinds for a damaged archive
        raise UnreadableFile(_("The XLSX workbook cannot be read ({reason}).", reason=type(error).__name__)) from None


def _csv_rows(data: bytes, limits: ImportLimits) -> Iterator[Sequence[object]]:
    text = data.decode(detect_encoding(data))
    # The csv module's own cap (131,072) would raise mid-file; a field's length is checked per cell instead.
    csv.field_size_limit(max(csv.field_size_limit(), limits.file_bytes))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error as error:
        raise UnreadableFile(
            _("Line {n} cannot be read as CSV ({reason}).", n=reader.line_num, reason=str(error))
        ) from None


def check_size(size: int, limits: ImportLimits) -> None:
    """Refuse a file larger than the limit, before it is read when its size is known first."""
    if size > limits.file_bytes:
        raise _too_large(_("file size in bytes"), "FACILITY_IMPORT_MAX_FILE_BYTES", limits.file_bytes)


def read_table(data: bytes, limits: ImportLimits) -> Table:
    """The first sheet's header and rows as trimmed text, refusing a file beyond the limits."""
    check_size(len(data), limits)
    source = _xlsx_rows(data, limits) if data.startswith(ZIP_MAGIC) else _csv_rows(data, limits)
    table, cells = Table(), 0
    for number, raw in enumerate(source, start=1):
        width = len(raw)
        while width and not _cell_text(raw[width - 1]):
            width -= 1
        if not width:
            continue
        if width > limits.columns:
            raise _too_large(_("columns"), "FACILITY_IMPORT_MAX_COLUMNS", limits.columns)
        if number > limits.rows + 1:
            raise _too_large(_("rows"), "FACILITY_IMPORT_MAX_ROWS", limits.rows)
        row = [_cell_text(value) for value in raw[:width]]
        cells += len(row)
        if cells > limits.cells:
            raise _too_large(_("cells"), "FACILITY_IMPORT_MAX_CELLS", limits.cells)
        if not table.header:
            table.header, table.header_row = [name.lower() for name in row], number
        else:
            table.rows.append((number, row))
    return table


def write_csv(header: list[str], rows: Iterable[dict[str, str]]) -> bytes:
    """UTF-8 with a BOM, so Excel on Korean Windows opens it without garbling Hangul."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(row.get(column, "")) for column in header] for row in rows)
    return UTF8_BOM + out.getvalue().encode("utf-8")


def write_xlsx(header: list[str], rows: Iterable[dict[str, str]], title: str) -> bytes:
    """Every cell a text cell, never a formula: a code like 0101 or a time like 09:00 stays as written.

    The sheet's XML is written here, row by row into the archive: openpyxl builds an element per cell
    (without lxml, 20,000 rows of 18 columns took half a minute); a text-only sheet needs none of it.
    """
    letters = [get_column_letter(i) for i in range(1, len(header) + 1)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in _xlsx_parts(title[:31]).items():
            book.writestr(name, text)
        with book.open(SHEET_PART, "w") as sheet:
            sheet.write(SHEET_OPEN)
            sheet.write(_sheet_row(1, letters, header))
            for number, row in enumerate(rows, start=2):
                sheet.write(_sheet_row(number, letters, [row.get(column, "") for column in header]))
            sheet.write(SHEET_CLOSE)
    return out.getvalue()


def _sheet_row(number: int, letters: list[str], values: list[str]) -> bytes:
    cells = "".join(
        f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'
        for letter, value in zip(letters, values, strict=False)
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def _xml_text(value: object) -> str:
    # Control characters XML 1.0 cannot carry (openpyxl refuses them) are dropped.
    return escape(ILLEGAL_CHARACTERS_RE.sub("", str(neutralise(str(value)))))


SHEET_PART = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_OPEN = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
SHEET_CLOSE = b"</sheetData></worksheet>"


def _xlsx_parts(title: str) -> dict[str, str]:
    """The workbook around one sheet: content types, relationships, the workbook naming the sheet."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": head
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        + '<Default Extension="xml" ContentType="application/xml"/>'
        + f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        + f'<Override PartName="/{SHEET_PART}" ContentType="{office}.worksheet+xml"/></Types>',
        "_rels/.rels": head
        + f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Target="xl/workbook.xml" '
        + 'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        + "</Relationships>",
        "xl/workbook.xml": head
        + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        + f'<sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": head
        + f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        + f'Type="{REL_NS}/worksheet"/></Relationships>',
    }
