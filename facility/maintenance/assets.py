"""The asset registry, QR labels, and the public problem reports that managers triage."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import segno
from sqlmodel import Session, col, func, or_, select

from facility.core import audit, throttle
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import InvalidInput, TooManyRequests
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, User
from facility.maintenance import service as work_orders
from facility.maintenance.exceptions import AssetNotFound
from facility.maintenance.kinds import Priority, ReportStatus, WorkOrderSource
from facility.maintenance.models import Asset, ProblemReport, WorkOrder
from facility.maintenance.schemas import WorkOrderCreate
from facility.rooms.models import Building, Floor, Room

# Public reports: this many per address per window, so a bored visitor cannot flood the triage.
REPORTS_PER_WINDOW = 5
REPORT_WINDOW = timedelta(minutes=15)


def list_assets(
    session: Session,
    viewer: User | None,
    *,
    building_id: int | None = None,
    room_id: int | None = None,
    kind: str | None = None,
    q: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[Asset], int]:
    ensure_role(viewer, *STAFF_ROLES)
    query = select(Asset)
    if building_id is not None:
        query = query.where(Asset.building_id == building_id)
    if room_id is not None:
        query = query.where(Asset.room_id == room_id)
    if kind:
        query = query.where(Asset.kind == kind)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(
            or_(
                col(Asset.code).ilike(like),
                col(Asset.name_ko).ilike(like),
                col(Asset.serial).ilike(like),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Asset.code).limit(limit).offset(offset)).all()
    return list(rows), total


def get_asset(session: Session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise AssetNotFound(_("Asset {asset} not found.", asset=asset_id))
    return asset


def find_asset_by_code(session: Session, code: str) -> Asset | None:
    """The asset with this code, in service or retired."""
    return session.exec(select(Asset).where(Asset.code == code)).first()


def get_asset_by_code(session: Session, code: str) -> Asset:
    asset = find_asset_by_code(session, code)
    if asset is None or not asset.active:
        raise AssetNotFound(_("Asset {asset} not found.", asset=code))
    return asset


def parent(session: Session, asset: Asset) -> Asset | None:
    return session.get(Asset, asset.parent_id) if asset.parent_id else None


def children(session: Session, asset_id: int) -> list[Asset]:
    return list(session.exec(select(Asset).where(Asset.parent_id == asset_id).order_by(Asset.code)))


def location(session: Session, asset: Asset) -> tuple[Building, Room | None, Floor | None]:
    building = session.get(Building, asset.building_id)
    assert building is not None
    room = session.get(Room, asset.room_id) if asset.room_id else None
    floor = session.get(Floor, room.floor_id) if room and room.floor_id else None
    return building, room, floor


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline SVG QR code (error correction M: labels get scratched)."""
    return segno.make(url, error="m").svg_inline(scale=scale, border=2)


def source_key(address: str, secret: str) -> str:
    """Reports keep a keyed hash of the address, enough to rate-limit without storing it."""
    return hashlib.sha256(f"{secret}:{address}".encode()).hexdigest()


def report_problem(
    session: Session, asset_code: str, *, description: str, reporter: str, contact: str, key: str
) -> ProblemReport:
    """Anyone on site reports a problem with an asset; rate-limited per address."""
    asset = get_asset_by_code(session, asset_code)
    description = description.strip()
    if len(description) < 3:
        raise InvalidInput(_("Describe the problem in a few words."))
    # The address's row is held until commit, so concurrent reports count one after another.
    throttle.hold(session, f"report:{key}")
    recent = session.exec(
        select(func.count())
        .select_from(ProblemReport)
        .where(ProblemReport.source_key == key)
        .where(ProblemReport.created_at > utcnow() - REPORT_WINDOW)
    ).one()
    if recent >= REPORTS_PER_WINDOW:
        raise TooManyRequests(_("Too many reports from this device; please try again later."))
    report = ProblemReport(
        asset_id=asset.id,  # type: ignore[arg-type]
        description=description[:1000],
        reporter=reporter.strip()[:100],
        contact=contact.strip()[:100],
        source_key=key,
    )
    session.add(report)
    session.flush()
    audit.record(session, None, "problem_report.create", "problem_report", report.id, after=report)
    return report


def list_reports(session: Session, viewer: User | None, *, status: str = "new") -> list[tuple[ProblemReport, Asset]]:
    ensure_role(viewer, *MANAGING_ROLES)
    query = (
        select(ProblemReport, Asset)
        .join(Asset, col(Asset.id) == ProblemReport.asset_id)
        .where(ProblemReport.status == status)
        .order_by(col(ProblemReport.id).desc())
    )
    return [(r, a) for r, a in session.exec(query).all()]


def triage_report(
    session: Session,
    actor: User,
    report_id: int,
    *,
    accept: bool,
    priority: Priority = Priority.normal,
) -> ProblemReport:
    """A manager turns a report into a work order, or dismisses it."""
    ensure_role(actor, *MANAGING_ROLES)
    report = session.get(ProblemReport, report_id)
    if report is None or report.status != ReportStatus.new.value:
        raise InvalidInput(_("This report was already handled."))
    before = audit.snapshot(report)
    if accept:
        asset = get_asset(session, report.asset_id)
        order: WorkOrder = work_orders.create_work_order(
            session,
            actor,
            WorkOrderCreate(
                title=f"[신고] {asset.name_ko}: {report.description[:80]}",
                description=f"{report.description}\n\n신고자: {report.reporter or '-'} {report.contact}",
                priority=priority,
                asset_id=asset.id,
            ),
            source=WorkOrderSource.report,
            source_key=f"report:{report.id}",
        )
        report.work_order_id = order.id
        report.status = ReportStatus.converted.value
    else:
        report.status = ReportStatus.dismissed.value
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor,
        "problem_report.triage",
        "problem_report",
        report.id,
        before=before,
        after=report,
    )
    return report
