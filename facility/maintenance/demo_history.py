"""The demo campus's maintenance past: checklists done on time, late or missed, and closed work.

Every past occurrence of the demo's plans is settled through the services a crew and a manager
use, each inside `clock_at` the moment it would have happened: a checklist submitted (with a
signature, and now and then a failed item that opens its corrective work order), verified a day
or two later, or recorded as missed. Only occurrences due in the last few days may still be open,
so the crew's day shows a handful of overdue items, not months of them. Work orders are opened,
worked with parts and a photo, and closed the same way; the newest few stay open.

Deterministic (a fixed seed, times counted from today's local midnight); only the demo calls it,
and only while no checklist has been submitted yet.
"""

from __future__ import annotations

import base64
import random
import struct
import zlib
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from facility.booking.common import local_zone
from facility.core.db import clock_at, utcnow
from facility.core.models import User
from facility.maintenance import catalogue, duties, inspections, item_extras, service
from facility.maintenance.exceptions import RemediationOpen
from facility.maintenance.kinds import InspectionStatus, Priority, WorkOrderStatus
from facility.maintenance.models import Asset, Inspection, InspectionTemplate, Part, Submission, WorkOrder
from facility.maintenance.photos import store_photo
from facility.maintenance.schemas import SubmissionCreate, WorkOrderCreate

SEED = 13
HISTORY_DAYS = 90
# Occurrences due this recently may still be open: the few overdue items a real crew has.
STILL_OPEN_WITHIN = timedelta(days=4)
STILL_OPEN_SHARE = 0.3
W = WorkOrderStatus
# (title, description, asset kind, part code, quantity, priority)
TASKS: tuple[tuple[str, str, str, str, int, Priority], ...] = (
    ("공조기 필터 교체", "차압 상승으로 F7 필터 교체", "hvac", "filter-ahu", 2, Priority.normal),
    ("복도 LED 등기구 교체", "점멸하는 등기구 교체", "electrical_panel", "lamp-led", 3, Priority.low),
    ("소화기 압력 미달", "지시압력계 적색 구간: 교체", "extinguisher", "ext-abc", 1, Priority.high),
    ("순환펌프 V벨트 마모", "소음 발생, 벨트 교체", "pump", "belt-v", 1, Priority.normal),
    ("수영장 잔류염소 보충", "잔류염소 0.3 mg/L 미만", "pool_filter", "chlorine", 10, Priority.high),
    ("분전반 퓨즈 교체", "차단 후 퓨즈 교체", "electrical_panel", "fuse-10a", 2, Priority.normal),
    ("빔프로젝터 화면 깜빡임", "케이블 재연결 및 점검", "projector", "", 0, Priority.normal),
    ("전자교탁 마이크 불량", "무선 수신부 재설정", "e_lectern", "", 0, Priority.low),
)
OPEN_AT_THE_END = 3


def png(width: int, height: int, rgb: tuple[int, int, int], stripe: tuple[int, int, int]) -> bytes:
    """A small striped PNG made by hand: a stand-in for a crew member's photo or signature."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(stripe if (x + y) % 16 < 3 else rgb) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def data_url(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


SIGNATURE = data_url(png(48, 16, (255, 255, 255), (20, 40, 120)))
PHOTO = data_url(png(64, 48, (150, 150, 140), (90, 70, 60)))
# The photo of a posted inspection record (a posting step's evidence).
POSTED_PHOTO = png(64, 48, (250, 250, 245), (30, 30, 30))


def _answers(items: list[dict[str, Any]], rng: random.Random, fail: bool) -> dict[str, Any]:
    """Plausible answers: every check passes (one fails when asked), numbers inside their limits."""
    answers: dict[str, Any] = {}
    checks = [item["key"] for item in items if item["type"] == "check"]
    failing = rng.choice(checks) if fail and checks else None
    for item in items:
        kind, key = item["type"], item["key"]
        if kind == "check":
            answers[key] = "fail" if key == failing else "pass"
        elif kind == "number":
            low, high = item.get("min"), item.get("max")
            if low is not None and high is not None:
                value = low + (high - low) * rng.uniform(0.2, 0.8)
            elif low is not None:
                value = low * rng.uniform(1.5, 20) if low else rng.uniform(1, 5)
            else:
                value = (high or 10) * rng.uniform(0.4, 0.8)
            answers[key] = round(value, 1)
        elif kind == "text":
            answers[key] = "이상 없음"
        elif kind == "time":
            answers[key] = f"{rng.randint(9, 16):02d}:{rng.choice((0, 15, 30, 45)):02d}"
        elif item.get("required"):
            answers[key] = [PHOTO]
    return answers


def _extras(items: list[dict[str, Any]], answers: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The notes and photos the items ask for (always, or because this one failed)."""
    notes: dict[str, str] = {}
    photos: dict[str, list[str]] = {}
    for item in items:
        failed = answers.get(item["key"]) == "fail"
        if item_extras.asked(item.get("note", "never"), failed):
            notes[item["key"]] = "현장 확인, 조치 요청" if failed else "이상 없음"
        if item_extras.asked(item.get("photo", "never"), failed):
            photos[item["key"]] = [PHOTO]
    return notes, photos


def _settle(
    session: Session, inspection: Inspection, crew: User, manager: User, now: datetime, rng: random.Random
) -> str:
    """Take one past occurrence to its outcome; returns on_time, late, missed or open."""
    age = now - inspection.due_at
    draw = rng.random()
    if age < STILL_OPEN_WITHIN and draw < STILL_OPEN_SHARE:
        return "open"
    if age > timedelta(days=14) and draw < 0.06:
        with clock_at(inspection.due_at + timedelta(days=14)):
            inspections.record_missed(session, manager, inspection.id)  # type: ignore[arg-type]
        return "missed"
    late = age > timedelta(days=7) and draw < 0.2
    done_at = inspection.due_at + (
        timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6)) if late else -timedelta(hours=rng.randint(1, 20))
    )
    done_at = min(max(done_at, inspection.visible_from), now - timedelta(hours=1))
    template = session.get(InspectionTemplate, inspection.template_id)
    assert template is not None
    items = catalogue.items_of_version(session, template, inspection.template_version)
    answers = _answers(items, rng, fail=rng.random() < 0.08)
    notes, photos = _extras(items, answers)
    with clock_at(done_at):
        inspections.submit_checklist(
            session,
            crew,
            inspection.id,  # type: ignore[arg-type]
            SubmissionCreate(
                submission_id=f"demo-{inspection.id:06d}",
                answers=answers,
                item_notes=notes,
                item_photos=photos,
                signature=SIGNATURE,
                signed_by=crew.full_name or crew.email,
            ),
        )
    verified_at = done_at + timedelta(days=rng.randint(1, 3))
    if verified_at < now and rng.random() < 0.7:
        with clock_at(verified_at):
            inspections.verify_inspection(session, manager, inspection.id)  # type: ignore[arg-type]
    _file_duties(session, manager, inspection.id, now, rng)  # type: ignore[arg-type]
    return "late" if late else "on_time"


def _file_duties(session: Session, manager: User, inspection_id: int, now: datetime, rng: random.Random) -> None:
    """Most past steps were filed a few days before their due date; a few were forgotten (overdue
    on the board), and steps due from now on wait. Remediation closes once its work is done."""
    for duty in duties.chain(session, inspection_id):
        if duty.step_key == duties.RETAIN or duty.due_at >= now or rng.random() < 0.1:
            continue
        filed_at = max(duty.starts_at, duty.due_at - timedelta(days=rng.randint(1, 5)))
        proof: dict[str, Any] = {"reference_no": f"{filed_at:%Y}-{duty.id:05d}"}
        if duty.evidence_kind == "file":
            proof = {"filename": "posted.png", "data": POSTED_PHOTO}
        try:
            with session.begin_nested(), clock_at(filed_at):
                duties.add_evidence(session, manager, duty.id, now=filed_at, **proof)  # type: ignore[arg-type]
        except RemediationOpen:
            continue


def _inspection_history(
    session: Session, crew: User, manager: User, now: datetime, rng: random.Random
) -> dict[str, int]:
    counts = dict.fromkeys(("on_time", "late", "missed", "open"), 0)
    past = session.exec(
        select(Inspection)
        .where(Inspection.status == InspectionStatus.open.value, Inspection.due_at < now)
        .order_by(col(Inspection.due_at), col(Inspection.id))
    ).all()
    for inspection in past:
        counts[_settle(session, inspection, crew, manager, now, rng)] += 1
    return counts


def _work(
    session: Session, order: WorkOrder, crew: User, manager: User, part: Part | None, quantity: int, now: datetime,
    rng: random.Random, close: bool,
) -> None:  # fmt: skip
    """Crew starts the order, uses its part, photographs it, finishes; a manager verifies."""
    started = order.created_at + timedelta(hours=rng.randint(1, 20))
    if started >= now:
        return
    with clock_at(started):
        if order.assignee_id is None:
            service.transition(session, manager, order.id, W.assigned, assignee_id=crew.id)  # type: ignore[arg-type]
        service.transition(session, crew, order.id, W.in_progress)  # type: ignore[arg-type]
        if part is not None and part.on_hand >= quantity:
            service.use_part(session, crew, order.id, part.id, quantity)  # type: ignore[arg-type]
        store_photo(session, PHOTO, uploaded_by=crew.id, work_order_id=order.id)
    finished = started + timedelta(hours=rng.randint(1, 6))
    if not close or finished >= now:
        return
    with clock_at(finished):
        minutes = rng.choice([30, 45, 60, 90, 120])
        service.transition(
            session,
            crew,
            order.id,  # type: ignore[arg-type]
            W.done,
            note="조치 완료",
            minutes_spent=minutes,
            signature=SIGNATURE,
        )
    verified = finished + timedelta(days=rng.randint(1, 2))
    if verified < now:
        with clock_at(verified):
            service.transition(session, manager, order.id, W.verified)  # type: ignore[arg-type]


def _work_order_history(session: Session, crew: User, manager: User, now: datetime, rng: random.Random) -> int:
    """Orders every few days over the history, and the correctives failed checklists opened."""
    parts = {p.code: p for p in session.exec(select(Part))}
    assets: dict[str, list[Asset]] = {}
    for asset in session.exec(select(Asset).order_by(col(Asset.code))):
        assets.setdefault(asset.kind, []).append(asset)
    zone = local_zone()
    today = now.astimezone(zone).date()
    made = 0
    day = HISTORY_DAYS
    while day > 0:
        title, description, kind, part_code, quantity, priority = rng.choice(TASKS)
        if assets.get(kind):
            asset = rng.choice(assets[kind])
            opened = datetime.combine(today - timedelta(days=day), time(rng.randint(8, 16)), tzinfo=zone)
            with clock_at(opened):
                order = service.create_work_order(
                    session,
                    manager,
                    WorkOrderCreate(
                        title=title,
                        description=description,
                        priority=priority,
                        due_at=opened + timedelta(days=3),
                        asset_id=asset.id,
                        assignee_id=crew.id,
                    ),
                )
            _work(session, order, crew, manager, parts.get(part_code), quantity, now, rng, close=day > OPEN_AT_THE_END)
            made += 1
        day -= rng.randint(2, 5)
    correctives = session.exec(select(WorkOrder).where(WorkOrder.source == "inspection", WorkOrder.created_at < now))
    for order in correctives.all():
        _work(session, order, crew, manager, None, 0, now, rng, close=order.created_at < now - timedelta(days=5))
    return made


def load_maintenance_history(session: Session, crew: User | None, manager: User | None) -> dict[str, int]:
    """Settle the demo's past occurrences and make its past work; counts of what was made (none
    when a checklist was already submitted or the demo accounts are missing)."""
    now = utcnow()
    if crew is None or manager is None or session.exec(select(Submission.id)).first() is not None:
        return {}
    rng = random.Random(SEED)
    counts = {f"inspections {k}": v for k, v in _inspection_history(session, crew, manager, now, rng).items()}
    counts["work orders"] = _work_order_history(session, crew, manager, now, rng)
    session.flush()
    return counts
