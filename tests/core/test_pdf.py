"""PDF documents keep their Korean: the text read back by pdftotext is the text written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from facility.core.config import Settings, using
from facility.core.pdf import PdfFontMissing, korean_document, render
from tests.keys import TEST_SECRET_KEY


def test_korean_text_survives_the_round_trip(tmp_path: Path) -> None:
    pdf = korean_document("사용허가서")
    pdf.multi_cell(0, 8, "사용허가서 제2027-0001호\n대관 장소: 대강당, 2027년 3월 2일 09:00-12:00")
    path = tmp_path / "permit.pdf"
    path.write_bytes(render(pdf))
    assert shutil.which("pdftotext"), "poppler-utils is installed by .ci/run"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "사용허가서 제2027-0001호" in text and "대강당" in text


def test_a_missing_configured_font_is_named(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=TEST_SECRET_KEY, pdf_font=str(tmp_path / "none.ttf"))
    with using(settings), pytest.raises(PdfFontMissing, match="none.ttf"):
        korean_document("x")
