"""Reading and writing tables: CSV in the encodings Korean offices save, and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

from openpyxl import Workbook, load_workbook

# An XLSX file is a zip archive.
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
# CP949 is a superset of EUC-KR: Excel and HWP on Korean Windows save CSV in it.
KOREAN_LEGACY = "cp949"


class UnreadableFile(ValueError):
    """The bytes are neither CSV in a known encoding nor an XLSX workbook."""


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
        raise UnreadableFile("The file is neither UTF-8 nor CP949/EUC-KR text, nor an XLSX workbook.") from None


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
    return str(value).strip()


def read_table(data: bytes) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of the file's first sheet, every cell as trimmed text."""
    if data.startswith(ZIP_MAGIC):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as error:  # openpyxl raises many kinds for a damaged archive
            raise UnreadableFile(f"The XLSX workbook cannot be read ({type(error).__name__}).") from None
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        text = data.decode(detect_encoding(data))
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    rows = [row for row in rows if any(row)]
    if not rows:
        return [], []
    header = [name.strip().lower() for name in rows[0]]
    while header and not header[-1]:
        header.pop()
    return header, [row[: len(header)] + [""] * (len(header) - len(row)) for row in rows[1:]]


def write_csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    """UTF-8 with a BOM, so Excel on Korean Windows opens it without garbling Hangul."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return UTF8_BOM + out.getvalue().encode("utf-8")


def write_xlsx(header: list[str], rows: list[dict[str, str]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        # Text cells throughout: a code like 0101 or a time like 09:00 stays as written.
        sheet.append([row.get(column, "") for column in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
