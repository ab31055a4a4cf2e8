"""A small campus with one of everything, so no page the browser tests visit is empty."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import Session

from facility.booking.models import BankDeposit, FeeSchedule
from facility.booking.pages.checkin import CHECKIN_SALT
from facility.core.config import Settings
from facility.core.db import get_engine, utcnow
from facility.core.models import OrgStatus, Role, User
from facility.core.security import issue_token, sign_value
from facility.maintenance import assets
from facility.sensors import desired
from facility.sensors.models import DeadLetter
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_building, make_organization, make_room, make_user
from tests.maintenance.factories import make_asset, make_inspection, make_plan
from tests.sensors.factories import make_alert, make_device, write_readings


@dataclass
class SmallCampus:
    """Users per role and the ids the page table's paths need."""

    users: dict[str, User | None]
    values: dict[str, object] = field(default_factory=dict)

    def path(self, template: str) -> str:
        """A page table path with its ids filled in (`{code}` is an asset's on its QR page)."""
        code = self.values["asset_code"] if template.startswith("/a/") else self.values["building_code"]
        path = template.format(**(self.values | {"code": code}))
        if template.startswith("/checkin/"):
            return f"{path}?token={self.values['checkin_token']}"
        if template == "/maintenance/assets/labels":
            return f"{path}?building={self.values['building_code']}"
        return path


def seed_small_campus(settings: Settings, base_url: str) -> SmallCampus:
    """Two rooms, a booking approved with its invoice, a block, a work order, an alert, a device
    with readings, an inspection, a plan, a problem report, a dead letter, an organisation waiting,
    an unmatched bank deposit."""
    engine = get_engine(settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        building = make_building(session, code="edu")
        room = make_room(session, code="E-101", building=building, capacity=40, equipment={"projector": 1})
        make_room(session, code="E-102", building=building, capacity=24)
        session.add(FeeSchedule(room_id=room.id, hourly=50_000))
        session.commit()
        asset = make_asset(session, room=room)
        inspection = make_inspection(session)
        make_plan(session, room=room, rrule="FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9")
        device = make_device(session, room=room)
        desired.set_desired(session, device_id=device.id or 0, channel="setpoint", value=21, actor="a11y")
        session.commit()
        now = utcnow()
        write_readings(
            engine,
            device,
            {
                "temperature": [(now - timedelta(minutes=m), 22.0 + m / 60) for m in range(0, 180, 10)],
                "co2": [(now - timedelta(minutes=m), 650.0 + 3 * m) for m in range(0, 180, 10)],
            },
        )
        make_alert(session, room=room)
        session.add(DeadLetter(topic="facility/edu/X-9/co2", payload="{oops", reason="bad_json", detail="not JSON"))
        assets.report_problem(
            session, asset.code, description="물이 샙니다", reporter="홍길동", contact="010-0000-0000", key="seed"
        )
        # A deposit the statement import could not match: the deposits page shows its match form.
        session.add(BankDeposit(fingerprint="a11y", deposited_at=now, amount=55_000, depositor="홍길동", memo="이체"))
        make_organization(session, name="승인 대기 기관", status=OrgStatus.pending)
        organization = make_organization(session, name="한빛 교육협회")
        users: dict[str, User | None] = {
            "anyone": None,
            "renter": make_user(session, role=Role.renter, organization=organization),
            "crew": make_user(session, role=Role.crew),
            "manager": make_user(session, role=Role.manager),
            "admin": make_user(session, role=Role.admin),
        }
        session.commit()

    def bearer(role: str) -> dict[str, str]:
        user = users[role]
        assert user is not None and user.id is not None
        return {"Authorization": f"Bearer {issue_token(settings.secret_key, user.id, user.session_version)}"}

    day = next_weekday(days_ahead=10)
    with httpx.Client(base_url=base_url, timeout=30) as api:

        def create(path: str, role: str, body: dict[str, object]) -> dict[str, object]:
            response = api.post(path, json=body, headers=bearer(role))
            assert response.status_code == 201, (path, response.text)
            return dict(response.json())

        def slot(start: int, end: int) -> dict[str, object]:
            return {"room_id": room.id, "start": seoul(day, start).isoformat(), "end": seoul(day, end).isoformat()}

        booking = create("/api/v1/bookings", "renter", slot(10, 12) | {"title": "교원 연수 설명회"})
        approved = api.post(f"/api/v1/bookings/{booking['id']}/approve", headers=bearer("manager"))
        assert approved.status_code == 200, approved.text
        create("/api/v1/bookings", "renter", slot(14, 16) | {"title": "학부모 간담회"})  # waits in the queue
        create("/api/v1/blocks", "manager", slot(8, 9) | {"reason": "연수"})
        order = create("/api/v1/work-orders", "manager", {"title": "조명 교체", "room_id": room.id})
        opens = datetime.now(UTC) - timedelta(hours=1)
        drawn_day = day + timedelta(days=7)
        drawn = create(
            "/api/v1/lotteries",
            "manager",
            {
                "room_id": room.id,
                "title": "주말 강당 추첨",
                "slots": [{"start": seoul(drawn_day, 10).isoformat(), "end": seoul(drawn_day, 12).isoformat()}],
                "opens_at": opens.isoformat(),
                "closes_at": (opens + timedelta(days=2)).isoformat(),
            },
        )
        create(f"/api/v1/lotteries/{drawn['id']}/entries", "renter", {"slot_index": 0, "title": "주민 공청회"})
        invoice_id = api.get("/api/v1/invoices", headers=bearer("manager")).json()[0]["id"]
    values: dict[str, object] = {
        "room_id": room.id,
        "booking_id": booking["id"],
        "invoice_id": invoice_id,
        "building_code": building.code,
        "asset_code": asset.code,
        "order_id": order["id"],
        "lottery_id": drawn["id"],
        "inspection_id": inspection.id,
        "device_id": device.id,
        "checkin_token": sign_value(settings.secret_key, CHECKIN_SALT, str(room.id)),
        "token": "a-password-link-token",  # /password-reset/{token} shows its form for any token
    }
    return SmallCampus(users=users, values=values)
