"""The admin's import page in headless Chromium: upload, preview with per-row problems, confirm."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, func, select

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.imports import service
from facility.rooms.models import Building, Room
from tests.conftest import screenshot
from tests.factories import PASSWORD, make_user

SAMPLES = Path(service.__file__).with_name("samples")


def test_upload_preview_fix_and_confirm(live_server: str, live_settings: Settings, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        admin = make_user(session, role=Role.admin)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/**")

    broken = tmp_path / "buildings.csv"
    broken.write_bytes("code,campus,name_ko,sort_order\nedu,main,교육관,1\nedu,main,교육관 별관,둘\n".encode("cp949"))
    page.goto(f"{live_server}/admin/import")
    page.select_option("select[name=kind]", "buildings")
    page.set_input_files("input[name=file]", str(broken))
    page.click("[data-testid=upload-form] button")
    problems = page.inner_text("[data-testid=problems]")
    assert "3행, 코드 열" in problems and "3행, 정렬 순서 열" in problems
    assert page.locator("[data-testid=preview-table] tbody tr").count() == 2
    assert page.locator("[data-testid=confirm-form]").count() == 0
    screenshot(page, "import-preview-problems")

    page.select_option("select[name=kind]", "buildings")
    page.set_input_files("input[name=file]", str(SAMPLES / "buildings.csv"))
    page.click("[data-testid=upload-form] button")
    assert "교육관" in page.inner_text("[data-testid=preview-table]")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Building)).one() == 0  # a preview changes nothing
    page.click("[data-testid=confirm-form] button")
    page.wait_for_selector("[data-testid=import-done]")
    assert "2" in page.inner_text("[data-testid=import-done]")

    page.select_option("select[name=kind]", "rooms")
    page.set_input_files("input[name=file]", str(SAMPLES / "rooms.csv"))
    page.click("[data-testid=upload-form] button")
    page.click("[data-testid=confirm-form] button")
    page.wait_for_selector("[data-testid=import-done]")
    screenshot(page, "import-done")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Building)).one() == 2
        assert session.exec(select(func.count()).select_from(Room)).one() == 6
