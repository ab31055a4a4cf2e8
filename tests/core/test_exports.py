"""CSV exports: formulas neutralised, parameters whitelisted, safe Content-Disposition."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.db import utcnow
from facility.core.errors import InvalidInput
from facility.core.exports import choice, content_disposition, csv_response, neutralise
from facility.core.models import Role
from tests.factories import browser_login, make_user
from tests.maintenance.factories import make_inspection, make_plan, make_template


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_formula_cells_get_an_apostrophe(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


def test_plain_cells_and_numbers_are_left_alone() -> None:
    assert [neutralise(v) for v in ("강의실 A", "a=b", -3, 1.5, None)] == ["강의실 A", "a=b", -3, 1.5, None]


def test_csv_response_writes_neutralised_cells_and_an_rfc6266_header() -> None:
    response = csv_response([["name", "value"], ["=1+1", -1]], filename="report-2026-11.csv")
    rows = list(csv.reader(io.StringIO(bytes(response.body).decode("utf-8-sig"))))
    assert rows == [["name", "value"], ["'=1+1", "-1"]]
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"report-2026-11.csv\"; filename*=UTF-8''report-2026-11.csv"
    )


@pytest.mark.parametrize("name", ['a".csv', "a\r\nSet-Cookie: x.csv", "../a.csv", "a b.csv", "보고서.csv", "a.txt"])
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        content_disposition(name)


def test_choice_is_a_whitelist() -> None:
    assert choice("by", "room", ("room", "building")) == "room"
    for bad in ('room"; filename="x', "room\r\nX: y", "kind"):
        with pytest.raises(InvalidInput) as refused:
            choice("by", bad, ("room", "building"))
        assert refused.value.status_code == 422 and refused.value.extra["allowed"] == ["room", "building"]


def test_compliance_csv_neutralises_a_template_named_like_a_formula(client: TestClient, session: Session) -> None:
    year = utcnow().year
    template = make_template(session, law="@소방시설법")
    template.name_ko = "=1+1"
    session.add(template)
    session.commit()
    plan = make_plan(session, template=template, rrule="FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=12;BYHOUR=9")
    make_inspection(session, plan=plan, due_at=datetime(year, 1, 12, tzinfo=UTC))
    browser_login(client, make_user(session, role=Role.manager))
    response = client.get(f"/maintenance/compliance.csv?year={year}")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(f'attachment; filename="compliance-{year}.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["'@소방시설법", "'=1+1"] == rows[2][:2]
    assert client.get("/maintenance/compliance.csv?year=99999").status_code == 422


def test_utilisation_csv_refuses_parameters_outside_the_whitelist(client: TestClient, session: Session) -> None:
    browser_login(client, make_user(session, role=Role.manager))
    for params in ({"by": 'room"; filename="evil.exe'}, {"by": "room\r\nSet-Cookie: x=1"}, {"by": "organization"}):
        refused = client.get("/manage/reports.csv", params=params)
        assert refused.status_code == 422 and "content-disposition" not in refused.headers
    assert client.get("/manage/reports.csv", params={"month": "2026-13"}).status_code == 422
    assert client.get("/manage/reports", params={"by": "nonsense"}).status_code == 422
    ok = client.get("/manage/reports.csv", params={"month": "2026-11", "by": "building"})
    assert ok.status_code == 200
    assert ok.headers["content-disposition"] == (
        "attachment; filename=\"utilisation-2026-11-building.csv\"; filename*=UTF-8''utilisation-2026-11-building.csv"
    )
