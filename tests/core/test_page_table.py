"""The page table of docs/pages.md lists every page of docs/roles.md, each once, for a known role."""

from __future__ import annotations

from tests.page_table import NOT_PAGES, documented_page_routes, readme_pages

ROLES = {"anyone", "renter", "crew", "manager", "admin"}


def test_every_page_is_in_the_readme_table() -> None:
    listed = [row.path for row in readme_pages()]
    assert len(listed) == len(set(listed)), "a page is listed twice"
    pages = documented_page_routes() - NOT_PAGES
    assert sorted(pages - set(listed)) == [], "pages missing from docs/pages.md"
    assert sorted(set(listed) - pages) == [], "docs/pages.md rows that docs/roles.md does not know"


def test_each_row_names_known_roles() -> None:
    for row in readme_pages():
        assert set(row.roles) <= ROLES, row
        assert row.purpose.strip(), row
