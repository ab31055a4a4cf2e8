"""Imported staff get an invitation link to choose their own password; no password is ever shown."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from facility.core import password_links
from facility.core.config import ImportLimits, Settings
from facility.core.models import Role, User
from facility.core.outbox import OutboxMessage
from facility.core.security import verify_password
from facility.imports import service
from tests.factories import make_user


def test_imported_staff_are_invited_and_set_their_own_password(settings: Settings, session: Session) -> None:
    admin = make_user(session, role=Role.admin)
    data = "email,role,full_name\nnew.crew@example.kr,crew,김설비\n".encode()
    settings.base_url = "https://rent.example.kr/"  # FACILITY_BASE_URL, not the request's host
    report = service.run_import(
        session, admin, "users", data, dry_run=False, limits=ImportLimits(), base_url="https://rent.example.kr/"
    )
    session.commit()
    assert report.applied, report.problems
    assert any("new.crew@example.kr" in note and "초대" in note for note in report.notes), report.notes
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.to == "new.crew@example.kr")).one()
    token = re.search(r"https://rent\.example\.kr/password-reset/([\w-]+)", mail.body)
    assert token, mail.body
    password_links.redeem(session, token.group(1), "a-fresh-long-passphrase")
    session.commit()
    session.expire_all()
    user = session.exec(select(User).where(User.email == "new.crew@example.kr")).one()
    assert verify_password(user.password_hash, "a-fresh-long-passphrase")
