"""The duties API and board: list by status with law, article, step, due date, building and
evidence; attach evidence by JSON and by the board's form (one POST, then a GET proves the commit)."""

from __future__ import annotations

import base64
import subprocess

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.maintenance import duties
from facility.maintenance.duty_models import DutyEvidence
from facility.maintenance.models import WorkOrder
from tests.factories import browser_login, csrf_from, token_headers
from tests.maintenance.duty_world import completed_fire_inspection
from tests.maintenance.test_duties import PDF_BYTES


def test_api_lists_by_status_and_takes_evidence(client: TestClient, session: Session) -> None:
    world = completed_fire_inspection(session)
    headers = token_headers(client, world.manager)
    # Completed in March on the simulated clock: by today every running step is overdue.
    overdue = client.get("/api/v1/duties?status=overdue", headers=headers)
    assert overdue.status_code == 200, overdue.text
    steps = {d["step"]: d for d in overdue.json()}
    assert set(steps) == {"report", "remediate", "post"}
    report = steps["report"]
    assert report["law"] == "소방시설법" and "제23조" in report["article"] and report["building"] != "—"
    assert report["due_at"].startswith("2026-03-17") and report["overdue"] and report["evidence"] == []
    assert steps["remediate"]["waiting_on_remediation"] and steps["remediate"]["work_order_ids"]
    assert client.get("/api/v1/duties?status=sometimes", headers=headers).status_code == 422

    refused = client.post(f"/api/v1/duties/{report['id']}/evidence", json={"note": "?"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "evidence_refused"
    posted = client.post(
        f"/api/v1/duties/{report['id']}/evidence", json={"reference_no": "119-2026-0042"}, headers=headers
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["status"] == "done" and posted.json()["evidence"][0]["reference_no"] == "119-2026-0042"
    done = client.get("/api/v1/duties?status=done", headers=headers).json()
    assert [d["id"] for d in done] == [report["id"]]
    # A file claiming to be a PDF must be one.
    fake = "data:application/pdf;base64," + base64.b64encode(b"MZ\x90\x00 not a pdf").decode()
    body = {"file": fake, "filename": "report.pdf"}
    assert client.post(f"/api/v1/duties/{steps['post']['id']}/evidence", json=body, headers=headers).status_code == 422
    # A manager who checked the clocks against law.go.kr marks the template reviewed: no new version.
    reviewed = client.patch("/api/v1/inspection-templates/fire-operational", json={"reviewed": True}, headers=headers)
    assert reviewed.status_code == 200 and reviewed.json()["reviewed"] and reviewed.json()["version"] == 1
    assert reviewed.json()["duty"]["article"].startswith("법 제23조")
    # The crew sees duties, but only the owner or a manager attaches a step's evidence.
    crew = token_headers(client, world.crew)
    assert client.get("/api/v1/duties", headers=crew).status_code == 200
    forged = client.post(f"/api/v1/duties/{steps['post']['id']}/evidence", json={"reference_no": "x"}, headers=crew)
    assert forged.status_code == 403


# The page reads what the API does; one database is enough for its rendering, forms and PDF.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_board_takes_evidence_and_the_report_reads_back(client: TestClient, session: Session) -> None:
    world = completed_fire_inspection(session)
    browser_login(client, world.manager)
    page = client.get("/maintenance/duties")
    assert page.status_code == 200
    for testid in ("duties-overdue", "duties-due", "duties-waiting", "duties-retained", "duty-calendar"):
        assert f'data-testid="{testid}"' in page.text
    assert "점검 결과·이행계획 보고 (소방본부)" in page.text and "https://www.law.go.kr/" in page.text
    assert 'data-testid="duty-summary"' in page.text and ">소방시설법</td>" in page.text
    steps = {d.step_key: d for d in duties.chain(session, world.inspection.id)}  # type: ignore[arg-type]
    csrf = csrf_from(client, "/maintenance/duties")

    def attach(step: str, **form: object) -> str:
        sent = client.post(
            f"/maintenance/duties/{steps[step].id}/evidence",
            data={"csrf_token": csrf, **form},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        return client.get("/maintenance/duties").text

    assert "증빙을 등록했습니다" in attach("report", reference_no="119-2026-0042")
    # Remediation waits for its work order: refused (a toast says which), then taken once done.
    remediation = {"csrf_token": csrf}
    files = {"file": ("완료.pdf", PDF_BYTES, "application/pdf")}
    url = f"/maintenance/duties/{steps['remediate'].id}/evidence"
    client.post(url, data=remediation, files=files, follow_redirects=False)
    assert f"#{world.submission.work_order_ids[0]}" in client.get("/maintenance/duties").text
    session.rollback()  # a fresh snapshot: the app's requests wrote since this session last read
    order = session.get(WorkOrder, world.submission.work_order_ids[0])
    assert order is not None
    order.status = "done"
    session.add(order)
    session.commit()
    assert client.post(url, data=remediation, files=files, follow_redirects=False).status_code == 303
    evidence = session.exec(select(DutyEvidence).where(DutyEvidence.filename == "완료.pdf")).one()
    download = client.get(f"/maintenance/duty-evidence/{evidence.id}")
    assert download.content == PDF_BYTES and download.headers["x-content-type-options"] == "nosniff"

    pdf = client.get(f"/maintenance/duties/{steps['report'].id}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True)
    words = text.stdout.decode()
    expected_words = (
        "소방시설 자체점검 결과 보고",
        "제23조",
        "옥내소화전 방수압력",
        "0.1 MPa",
        "부적합",
        f"#{order.id}",
        "접수번호 119-2026-0042",
        "완료.pdf",
        "점검자 서명",
        "안전관리자 확인",
    )
    for expected in expected_words:
        assert expected in words, expected
    table = client.get(f"/maintenance/duties/{steps['report'].id}/report.csv")
    assert table.status_code == 200 and "119-2026-0042" in table.text and "완료.pdf" in table.text
