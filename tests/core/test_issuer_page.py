"""The issuer details (FACILITY_INSTITUTION_*) shown read-only to admins: what is set, what is
missing and what the documents do without it, and the setting to change."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.app import create_app
from facility.core.config import InstitutionSettings, Settings
from facility.core.models import Role
from tests.factories import browser_login, make_user


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_admin_reads_the_issuer_details_and_where_to_change_them(settings: Settings, session: Session) -> None:
    issuer = InstitutionSettings(name="서울특별시교육청교육연수원", business_number="1018100340")
    app = create_app(settings.model_copy(update={"institution": issuer}))
    with TestClient(app) as client:
        browser_login(client, make_user(session, role=Role.manager))
        assert client.get("/admin/institution").status_code == 403
        browser_login(client, make_user(session, role=Role.admin))
        page = client.get("/admin/institution", params={"lang": "en"})
    assert page.status_code == 200
    row = page.text.split('data-field="business_number"')[1].split("</tr>")[0]
    assert issuer.business_number in row and "FACILITY_INSTITUTION_<wbr>BUSINESS_NUMBER" in row
    missing = page.text.split('data-field="bank_account"')[1].split("</tr>")[0]
    assert "Not set" in missing and "ask the rental office" in missing
    assert "/etc/facility/facility.env" in page.text and "<form" not in page.text.split("<main")[1]
