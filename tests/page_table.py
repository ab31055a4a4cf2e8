"""The page table of docs/pages.md, read by the page-table test and the accessibility browser test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| `(/[^`]*)` \| ([a-z, ]+) \| (.+) \|$")
# Routes of docs/roles.md that answer with no page of their own (redirects, files, downloads).
NOT_PAGES = frozenset(
    {
        "/",
        "/maintenance",
        "/lang/{code}",
        "/favicon.ico",
        "/maintenance/sw.js",
        "/maintenance/photos/{photo_id}",
        "/maintenance/compliance.csv",
        "/maintenance/duties/{duty_id}/report.pdf",
        "/maintenance/duties/{duty_id}/report.csv",
        "/maintenance/duty-evidence/{evidence_id}",
        "/manage/reports.csv",
        "/energy/report.csv",
        "/admin/import/template.csv",
        "/manage/rooms/{room_id}/qr.svg",
        "/manage/reductions/{claim_id}/proof",
    }
)


@dataclass(frozen=True)
class PageRow:
    path: str
    roles: tuple[str, ...]
    purpose: str

    @property
    def role(self) -> str:
        """The role the accessibility test visits the page as (the first one named)."""
        return self.roles[0]


def _section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def readme_pages() -> list[PageRow]:
    """Every row of the `## Pages` table of docs/pages.md."""
    rows = []
    for line in _section((ROOT / "docs" / "pages.md").read_text(encoding="utf-8"), "## Pages"):
        match = ROW.match(line)
        if match:
            roles = tuple(r.strip() for r in match.group(2).split(","))
            rows.append(PageRow(match.group(1), roles, match.group(3)))
    return rows


def documented_page_routes() -> set[str]:
    """The GET routes of docs/roles.md's `## Pages` table."""
    lines = _section((ROOT / "docs" / "roles.md").read_text(encoding="utf-8"), "## Pages")
    return {m.group(1) for line in lines if (m := re.match(r"^\| GET \| `([^`]+)` \|", line))}
