"""A forgotten password in headless Chromium: ask for the link, open it from the outbox, set a new
password, sign in with it."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.core.outbox import OutboxMessage
from tests.factories import make_user

NEW_PASSWORD = "violet-quarry-teapot-ribbon"


def test_reset_a_forgotten_password_and_sign_in_with_the_new_one(
    live_server: str, live_settings: Settings, page
) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session, role=Role.manager)

    page.goto(f"{live_server}/login")
    page.click("a[href='/password-reset']")
    page.fill("input[name=email]", user.email)
    page.click("[data-testid=password-forgot-form] button[type=submit]")
    page.wait_for_url(f"{live_server}/login")
    assert "링크를 보냈습니다" in page.inner_text("body")

    with Session(engine) as session:
        (body,) = session.exec(select(OutboxMessage.body).where(OutboxMessage.to == user.email)).all()
    link = re.search(r"https?://\S+/password-reset/[\w-]+", body)
    assert link is not None, body
    page.goto(link.group(0))
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("[data-testid=password-reset-form] button[type=submit]")
    page.wait_for_url(f"{live_server}/login")

    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/today")  # a manager's home
    # The link was spent: opening it again and submitting is refused.
    page.goto(link.group(0))
    page.fill("input[name=password]", NEW_PASSWORD + "-again")
    page.click("[data-testid=password-reset-form] button[type=submit]")
    assert "만료" in page.inner_text(".alert")
