"""What a Korean page must not show: English words or raw codes in the text people read."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Units and names that are written in Latin letters in Korean too.
LATIN_IN_KOREAN = {
    "ppm",
    "pH",
    "UPS",
    "CO",
    "PM",
    "VOC",
    "lx",
    "dB",
    "mg",
    "µg",
    "kWh",
    "QR",
    "CSV",
    "PDF",
    "VR",
    "AV",
    "IT",
    "UTF",
    "CP",
    "XLSX",
}


class _Text(HTMLParser):
    """The text nodes of a page, without scripts, styles and the visually hidden tags' names."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Latin words of two letters or more in the page's <main> (the shell holds the signed-in
    person's address and the language switch's "English"); a raw code like `lecture_room` is one."""
    if '<main id="main">' in html:
        html = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    parser = _Text()
    parser.feed(html)
    words = re.findall(r"[A-Za-z_][A-Za-z_]+", " ".join(parser.parts))
    return [w for w in words if w not in LATIN_IN_KOREAN and w not in allowed]
