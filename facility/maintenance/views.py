"""Pages of the maintenance domain: the work-order board and detail (crew pages and the manager
pages live beside this module and are included here, since the app picks up `views.router`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession
from facility.core.db import utcnow
from facility.core.errors import FacilityError, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.core.models import Role, User
from facility.core.params import MAX_ID, ObjectId
from facility.core.web import NavItem, flash, form_savepoint, redirect, render
from facility.maintenance import alerts as alert_orders
from facility.maintenance import (
    assets,
    assignment,
    claims,
    timers,
    views_admin,
    views_approval,
    views_crew,
    views_duties,
    views_public,
)
from facility.maintenance import service as work_orders
from facility.maintenance.exceptions import CompletionIncomplete
from facility.maintenance.kinds import CREW_MOVES, TRANSITIONS, Priority, WorkOrderStatus
from facility.maintenance.photos import store_photo
from facility.maintenance.schemas import WorkOrderCreate
from facility.rooms import service as rooms_service

router = APIRouter(include_in_schema=False)
router.include_router(views_crew.router)
router.include_router(views_public.router)
router.include_router(views_admin.router)
router.include_router(views_duties.router)
router.include_router(views_approval.router)
BOARD_COLUMNS = [s for s in WorkOrderStatus if s not in (WorkOrderStatus.cancelled, WorkOrderStatus.verified)]
BOARD_LIMIT = 300

STAFF = frozenset({"crew", "manager", "admin"})
NAV = (
    NavItem("nav.my_day", "/maintenance/my-day", STAFF, order=30),
    NavItem("nav.work_orders", "/maintenance/work-orders", STAFF, order=31),
    NavItem("nav.assets", "/maintenance/assets", STAFF, order=32),
    NavItem("nav.compliance", "/maintenance/compliance", frozenset({"manager", "admin"}), order=33),
)


def _local_input(request: Request, value: str) -> datetime | None:
    """A datetime-local form value, read in the campus time zone."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Not a date and time: {value}", value=value)) from None
    return parsed.replace(tzinfo=request.app.state.settings.zone) if parsed.tzinfo is None else parsed


@router.get("/maintenance")
def maintenance_home(request: Request, user: CurrentUser) -> Response:
    return redirect(request, "/maintenance/my-day" if user.role == Role.crew else "/maintenance/work-orders")


@router.get("/maintenance/work-orders")
def board(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    room: int | None = None,
    assignee: int | None = None,
) -> Response:
    return render(request, "maintenance/board.html", _board_context(session, user, room, assignee))


def _board_context(
    session: DbSession, user: User, room: int | None = None, assignee: int | None = None
) -> dict[str, object]:
    rows, total = work_orders.list_work_orders(
        session,
        user,
        open_only=False,
        room=room,
        assignee=assignee,
        limit=BOARD_LIMIT,
        status=",".join(s.value for s in BOARD_COLUMNS),
    )
    columns = {s.value: [o for o in rows if o.status == s.value] for s in BOARD_COLUMNS}
    context: dict[str, object] = {
        "columns": columns,
        "total": total,
        "now": utcnow(),
        "staff": work_orders.staff(session),
        "rooms": rooms_service.all_rooms(session),
        "priorities": list(Priority),
        "low_stock": work_orders.low_stock(session),
        "people": {u.id: u for u in work_orders.staff(session)},
        "conflicts": [],
        "trades": assignment.TRADES,
        "rules": assignment.list_rules(session, user),
        "buildings": {b.id: b for b in rooms_service.all_buildings(session)},
        "claimable_ids": {o.id for o in claims.claimable(session, user, BOARD_LIMIT)},
    }
    return context


@router.post("/maintenance/work-orders")
def create_from_form(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    title: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    priority: Annotated[Priority, Form()] = Priority.normal,
    room_id: Annotated[str, Form()] = "",
    asset_code: Annotated[str, Form(max_length=60)] = "",
    assignee_id: Annotated[str, Form()] = "",
    due_at: Annotated[str, Form()] = "",
    needs_room: Annotated[bool, Form()] = False,
    block_starts_at: Annotated[str, Form()] = "",
    block_ends_at: Annotated[str, Form()] = "",
    trade: Annotated[str, Form(max_length=40)] = "",
    needs_parts: Annotated[bool, Form()] = False,
) -> Response:
    asset = assets.find_asset_by_code(session, asset_code.strip()) if asset_code.strip() else None
    if asset_code.strip() and asset is None:
        raise InvalidInput(_("No asset with code {code}.", code=asset_code))
    data = WorkOrderCreate(
        title=title,
        description=description,
        priority=priority,
        room_id=int(room_id) if room_id.isdigit() else None,
        asset_id=asset.id if asset else None,
        assignee_id=int(assignee_id) if assignee_id.isdigit() else None,
        due_at=_local_input(request, due_at),
        needs_room=needs_room,
        block_starts_at=_local_input(request, block_starts_at),
        block_ends_at=_local_input(request, block_ends_at),
        trade=trade if trade in assignment.TRADES else "",
        needs_parts=needs_parts,
    )
    try:
        with form_savepoint(session):
            order = work_orders.create_work_order(session, user, data)
    except FacilityError as error:
        if "conflicts" not in error.extra:
            raise
        # The room is booked then: show whose bookings, so the manager moves the work or calls them.
        context = _board_context(session, user) | {"conflicts": error.extra["conflicts"], "form": data}
        return render(request, "maintenance/board.html", context, status_code=409)
    return _done(request, order.id, "created")


# What each work-order action confirms with (a toast after the redirect).
DONE = {
    "created": N_("Work order opened."),
    "moved": N_("Work order updated."),
    "assigned": N_("Work order assigned; the assignee has been notified."),
    "claimed": N_("The work order is yours now."),
    "timer_start": N_("Timer started."),
    "timer_stop": N_("Timer stopped; the time is added to the work order."),
    "completed": N_("Work order completed. Thank you."),
    "comment": N_("Comment added."),
    "part": N_("Part booked against the work order."),
    "photo": N_("Photo added."),
}


def _work_order_context(session: DbSession, user: User, order_id: int) -> dict[str, object]:
    order = work_orders.get_work_order(session, user, order_id)
    current = WorkOrderStatus(order.status)
    moves = sorted(TRANSITIONS[current], key=list(WorkOrderStatus).index)
    if user.role == Role.crew:
        moves = [m for m in moves if (current, m) in CREW_MOVES and order.assignee_id == user.id]
    return {
        "order": order,
        "moves": moves,
        "staff": work_orders.staff(session),
        "now": utcnow(),
        "overdue": work_orders.is_overdue(order),
        "can_claim": claims.may_claim(session, user, order),
        "timer": timers.running(session, user.id, order.id),  # type: ignore[arg-type]
        **work_orders.named_in(session, order),
        "comments": work_orders.list_comments(session, order.id),  # type: ignore[arg-type]
        "parts": work_orders.list_parts(session),
        "used": work_orders.parts_used(session, order.id),  # type: ignore[arg-type]
        "photos": work_orders.photo_ids(session, order.id),  # type: ignore[arg-type]
        "buildings": {b.id: b for b in rooms_service.all_buildings(session)},
        "people": {u.id: u for u in work_orders.staff(session)},
        "errors": {},
        "form": {},
    }


@router.get("/maintenance/work-orders/{order_id}")
def work_order_page(request: Request, order_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    return render(request, "maintenance/work_order.html", _work_order_context(session, user, order_id))


def _done(request: Request, order_id: int | None, done: str) -> Response:
    flash(request, _(DONE[done]))
    return redirect(request, f"/maintenance/work-orders/{order_id}")


@router.post("/maintenance/work-orders/{order_id}/transition")
def transition_from_form(
    request: Request,
    order_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    to: Annotated[WorkOrderStatus, Form()],
    assignee_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    minutes_spent: Annotated[str, Form()] = "",
    confirm_name: Annotated[str, Form(max_length=100)] = "",
    # The drawn signature as a PNG data: URL (offline.js fills it); store_photo checks what it holds.
    signature: Annotated[str, Form(max_length=600_000)] = "",
) -> Response:
    minutes = minutes_spent.strip()
    sent = {"note": note, "minutes_spent": minutes_spent, "confirm_name": confirm_name}
    if minutes and (not minutes.isdigit() or len(minutes) > 6):
        errors = {"minutes_spent": _("Enter the time spent in minutes.")}
        return _refused(request, session, user, order_id, errors, sent)
    try:
        with form_savepoint(session):
            work_orders.transition(
                session,
                user,
                order_id,
                to,
                assignee_id=int(assignee_id) if assignee_id.isdigit() and len(assignee_id) < 10 else None,
                note=note,
                minutes_spent=int(minutes) if minutes else None,
                confirm_name=confirm_name,
                signature=signature or None,
            )
    except CompletionIncomplete as error:
        return _refused(request, session, user, order_id, error.extra["fields"], sent)
    done = "completed" if to == WorkOrderStatus.done else "assigned" if to == WorkOrderStatus.assigned else "moved"
    return _done(request, order_id, done)


def _refused(
    request: Request, session: DbSession, user: User, order_id: int, errors: dict[str, str], sent: dict[str, str]
) -> Response:
    """The page again with each message beside its field and what was typed kept (422)."""
    context = _work_order_context(session, user, order_id) | {"errors": errors, "form": sent}
    return render(request, "maintenance/work_order.html", context, status_code=422)


@router.post("/maintenance/work-orders/{order_id}/assign")
def assign_from_form(
    request: Request,
    order_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    assignee_id: Annotated[str, Form()] = "",
) -> Response:
    if not assignee_id.isdigit() or len(assignee_id) > 9:
        raise InvalidInput(_("Choose whom to assign the work order to."))
    work_orders.assign_work_order(session, user, order_id, int(assignee_id))
    return _done(request, order_id, "assigned")


@router.post("/maintenance/work-orders/{order_id}/claim")
def claim_from_form(request: Request, order_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    claims.claim(session, user, order_id)
    return _done(request, order_id, "claimed")


@router.post("/maintenance/work-orders/{order_id}/timer/{action}")
def timer_from_form(
    request: Request, order_id: ObjectId, action: Literal["start", "stop"], session: DbSession, user: CurrentUser
) -> Response:
    (timers.start if action == "start" else timers.stop)(session, user, order_id)
    return _done(request, order_id, f"timer_{action}")


@router.post("/maintenance/assignment-rules")
def assignment_rule_from_form(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    building_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    assignee_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    trade: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    assignment.set_rule(session, user, building_id, trade, assignee_id)
    flash(request, _("Assignment rule saved."))
    return redirect(request, "/maintenance/work-orders#assignment-rules")


@router.post("/maintenance/alerts/{alert_id}/work-order")
def work_order_for_alert(request: Request, alert_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    order = alert_orders.open_for_alert(session, user, alert_id)
    return _done(request, order.id, "created")


@router.post("/maintenance/work-orders/{order_id}/comments")
def comment_from_form(
    request: Request,
    order_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    body: Annotated[str, Form(max_length=2000)],
) -> Response:
    work_orders.add_comment(session, user, order_id, body)
    return _done(request, order_id, "comment")


@router.post("/maintenance/work-orders/{order_id}/parts")
def part_from_form(
    request: Request,
    order_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    part_id: Annotated[int, Form()],
    quantity: Annotated[int, Form(ge=1, le=1000)] = 1,
) -> Response:
    work_orders.use_part(session, user, order_id, part_id, quantity)
    return _done(request, order_id, "part")


@router.post("/maintenance/work-orders/{order_id}/photos")
async def photo_from_form(
    request: Request,
    order_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    photo: Annotated[UploadFile, File()],
) -> Response:
    import base64

    order = work_orders.get_work_order(session, user, order_id)
    data = await photo.read()
    url = f"data:{photo.content_type};base64," + base64.b64encode(data).decode()
    store_photo(session, url, uploaded_by=user.id, work_order_id=order.id)
    return _done(request, order_id, "photo")
