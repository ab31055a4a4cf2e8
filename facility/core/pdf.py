"""Korean PDF documents: one place that finds a font with Hangul and embeds it.

fpdf2 embeds the font subset to the glyphs a document uses, so a permit is a few kB and reads the
same on any machine. The font is the operator's (`FACILITY_PDF_FONT`) or the first system font
found; without one a document cannot be made, and the caller answers that plainly (503 + message).
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from facility.core.config import active_settings

# (path, index in the collection): Noto Sans CJK's collection holds JP, KR, SC, TC, HK in that order.
SYSTEM_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 1),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKkr-Regular.otf", 0),
    ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", 0),
    ("/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf", 0),
    ("/System/Library/Fonts/AppleSDGothicNeo.ttc", 0),
)
FAMILY = "korean"


class PdfFontMissing(RuntimeError):
    """No font with Korean glyphs is configured or installed."""


def korean_font() -> tuple[Path, int]:
    """The font file and collection index documents use."""
    configured = active_settings().pdf_font
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise PdfFontMissing(f"FACILITY_PDF_FONT={configured}: no such file")
        return path, 1 if path.name.startswith("NotoSansCJK-") and path.suffix == ".ttc" else 0
    for name, index in SYSTEM_FONTS:
        if Path(name).is_file():
            return Path(name), index
    raise PdfFontMissing("no Korean font found: install fonts-noto-cjk or set FACILITY_PDF_FONT")


def korean_document(title: str) -> FPDF:
    """An A4 document with the Korean font set, its title in the metadata, one page begun."""
    path, index = korean_font()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("facility")
    pdf.add_font(FAMILY, fname=str(path), collection_font_number=index)
    pdf.set_font(FAMILY, size=11)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def render(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
