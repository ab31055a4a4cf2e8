"""The open-data feed: only rentable rooms, every field the portals read, documented, JSON and CSV alike."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.booking import open_data
from facility.booking.models import FeeSchedule
from tests.factories import make_room

BOOKING_DOC = Path(__file__).resolve().parents[2] / "docs" / "booking.md"
# The fields issue 29 names: 공유누리's and Seoul's.
REQUIRED = {
    "rsrcNo", "rsrcNm", "rsrcClsCd", "usePsblYn", "freeYn", "amt1", "amt2", "usePrpse", "addr", "lat", "lot",
    "area", "rsvtNdlsYn", "instUrlAddr", "updYmd",
    "SVCID", "PLACENM", "SVCSTATNM", "PAYATNM", "USETGTINFO", "V_MIN", "V_MAX", "REVSTDDAY",
}  # fmt: skip


def test_the_feed_lists_rentable_rooms_with_every_documented_field(client: TestClient, session: Session) -> None:
    hall = make_room(session, kind="auditorium", code="AUD")
    make_room(session, code="OFFICE", bookable_external=False)
    free = make_room(session, kind="seminar_room", code="SEM")
    session.add(FeeSchedule(room_id=hall.id, hourly=55_000, full_day=400_000))
    session.commit()

    answer = client.get("/api/v1/open-data/facilities")
    assert answer.status_code == 200 and answer.headers["cache-control"].startswith("public")
    body = answer.json()
    assert body["fields"]["eshare"] + body["fields"]["seoul"] == list(open_data.FIELDS)
    assert REQUIRED <= set(open_data.FIELDS)
    documented = re.findall(r"^\| `([A-Za-z_0-9]+)` \|", BOOKING_DOC.read_text(), re.M)
    assert set(open_data.FIELDS) <= set(documented)
    items = {item["rsrcNo"]: item for item in body["items"]}
    assert set(items) == {"AUD", "SEM"}
    for item in items.values():
        assert list(item) == list(open_data.FIELDS)
        assert item["usePsblYn"] in {"Y", "N"} and re.fullmatch(r"\d{8}", item["updYmd"])
    aud = items["AUD"]
    assert (aud["amt1"], aud["amt2"], aud["freeYn"], aud["PAYATNM"]) == (55_000, 400_000, "N", "유료")
    assert aud["rsrcClsCd"] == "SPC003" and aud["instUrlAddr"].endswith(f"/rooms/{hall.id}")
    assert items["SEM"]["freeYn"] == "Y" and items["SEM"]["PAYATNM"] == "무료" and free.id

    table = list(csv.reader(io.StringIO(client.get("/api/v1/open-data/facilities.csv").text.lstrip("\ufeff"))))
    assert table[0] == list(open_data.FIELDS) and len(table) == 3
