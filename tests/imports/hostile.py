"""Hostile upload files, built in memory: each is small on disk and huge, or poisonous, once read."""

from __future__ import annotations

import io
import zipfile

from facility.imports.files import write_xlsx

ROOM_HEADER = "code,building,name_ko,kind,description"
SHEET = "xl/worksheets/sheet1.xml"
NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def xlsx_with_sheet(sheet_xml: bytes) -> bytes:
    """A valid workbook whose first sheet's XML is replaced by `sheet_xml`."""
    base = write_xlsx(ROOM_HEADER.split(","), [], "rooms")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, sheet_xml if item.filename == SHEET else source.read(item.filename))
    return out.getvalue()


def _cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def dimension_trick() -> bytes:
    """A few kB claiming A1:XFD1048576, its one data row at the sheet's last row."""
    header = b"".join(_cell(f"{col}1", name) for col, name in zip("ABCDE", ROOM_HEADER.split(","), strict=True))
    return xlsx_with_sheet(
        NS + b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1">' + header + b"</row>"
        b'<row r="1048576">' + _cell("A1048576", "X-1") + b"</row></sheetData></worksheet>"
    )


def million_rows_xlsx() -> bytes:
    """About 5 MB: a million one-cell rows under a dimension that says so, as Excel writes it."""
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(2, 1_000_002))
    head = NS + b'<dimension ref="A1:A1000001"/><sheetData><row r="1">' + _cell("A1", "code") + b"</row>"
    return xlsx_with_sheet(head + rows + b"</sheetData></worksheet>")


def million_rows_csv() -> bytes:
    """2 MB: a million one-letter rows."""
    return ("code\n" + "X\n" * 1_000_000).encode()


def zip_bomb() -> bytes:
    """60 MB of one byte in the sheet: it compresses about a thousand to one."""
    return xlsx_with_sheet(NS + b"<sheetData>" + b" " * 60_000_000 + b"</sheetData></worksheet>")


def huge_field() -> bytes:
    return f'{ROOM_HEADER}\nX-1,main-edu,방,lecture_room,"{"가" * 200_000}"\n'.encode()


def nul_byte() -> bytes:
    return f"{ROOM_HEADER}\nX-1,main-edu,방,lecture_room,a\x00b\n".encode()


HOSTILE = {
    "dimension trick": dimension_trick,
    "a million rows (XLSX)": million_rows_xlsx,
    "a million rows (CSV)": million_rows_csv,
    "zip bomb": zip_bomb,
    "huge field": huge_field,
    "NUL byte": nul_byte,
}
