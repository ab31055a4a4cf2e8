"""Pages of the rental rules: lotteries (list and create, one lottery with its apply and draw
forms and its results), the officer's reduction queue, a renter's reduction claim, and the
Institute's own-use cancellation from the manager's booking page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from facility.booking import flows, lottery, purposes, queries, reductions
from facility.booking.pages.dates import today
from facility.core.auth import CurrentUser, DbSession, OptionalUser, ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.core.web import flash, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/lotteries")
def lotteries_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """Every lottery, newest first; managers also get the form to open one."""
    ensure_role(user)
    context = {
        "lotteries": lottery.list_lotteries(session),
        "rooms": queries.rooms_by_id(session),
        "default_day": (today(request) + timedelta(days=14)).isoformat(),
    }
    return render(request, "booking/lotteries.html", context)


def _local(request: Request, value: str) -> datetime:
    """A form's `YYYY-MM-DDTHH:MM` (or with a space) in the campus time zone."""
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=request.app.state.settings.zone)
    except ValueError as error:
        raise InvalidInput(_("Write the time as YYYY-MM-DD HH:MM.")) from error


def _slots(request: Request, text: str) -> list[lottery.LotterySlot]:
    """One slot per line: `2027-03-06 09:00-12:00`."""
    slots = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        day_and_start, _dash, end = line.rpartition("-")
        start = _local(request, day_and_start)
        slots.append(lottery.LotterySlot(start=start, end=_local(request, f"{start:%Y-%m-%d} {end}")))
    return slots


@router.post("/lotteries")
def create_lottery(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    room_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    opens_at: Annotated[str, Form(max_length=20)],
    closes_at: Annotated[str, Form(max_length=20)],
    slots: Annotated[str, Form(max_length=10_000)],
    cap_per_org_month: Annotated[int, Form(ge=0, le=1000)] = 0,
    cap_per_room_month: Annotated[int, Form(ge=0, le=1000)] = 1,
    rrule: Annotated[str, Form(max_length=200)] = "",
    caps_count_bookings: Annotated[bool, Form()] = False,
) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    try:
        data = lottery.LotteryCreate(
            room_id=room_id,
            title=title,
            slots=_slots(request, slots),
            opens_at=_local(request, opens_at),
            closes_at=_local(request, closes_at),
            cap_per_org_month=cap_per_org_month,
            cap_per_room_month=cap_per_room_month,
            caps_count_bookings=caps_count_bookings,
            rrule=rrule,
        )
    except ValueError as error:
        raise InvalidInput(_("Check the window and the slots: each slot starts after the window closes.")) from error
    created = lottery.create_lottery(session, user, data)
    flash(request, _("Lottery opened."))
    return redirect(request, f"/lotteries/{created.id}")


@router.get("/lotteries/{lottery_id}")
def lottery_page(request: Request, lottery_id: ObjectId, session: DbSession, user: OptionalUser) -> Response:
    """One lottery: its slots and window, the apply form (renters), the draw (managers), the results."""
    found = lottery.get_lottery(session, lottery_id)
    context = {
        "lottery": found,
        "shown": lottery.lottery_public(session, found, user),
        "room": queries.rooms_by_id(session).get(found.room_id),
        "purposes": purposes.ALLOWED,
        "slot_times": [
            (datetime.fromisoformat(s["starts_at"]), datetime.fromisoformat(s["ends_at"])) for s in found.slots
        ],
    }
    return render(request, "booking/lottery.html", context)


@router.post("/lotteries/{lottery_id}/apply")
def apply_to_lottery(
    request: Request,
    lottery_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    slot_index: Annotated[int, Form(ge=0, le=1000)],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    attendees: Annotated[int, Form(ge=1, le=10_000)] = 1,
    purpose: Annotated[str, Form(max_length=30)] = "general",
) -> Response:
    body = lottery.EntryCreate(slot_index=slot_index, title=title, attendees=attendees, purpose=purpose)
    lottery.apply(session, user, lottery_id, body)
    flash(request, _("Application received; the result comes by e-mail after the draw."))
    return redirect(request, f"/lotteries/{lottery_id}")


@router.post("/lotteries/{lottery_id}/draw")
def draw_lottery(request: Request, lottery_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    lottery.draw(session, user, lottery_id)
    flash(request, _("Drawn; winners and the others have been told."))
    return redirect(request, f"/lotteries/{lottery_id}")


@router.post("/manage/bookings/{booking_id}/institution-cancel")
def cancel_for_institution(
    request: Request,
    booking_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The Institute takes the room back for its own public purpose: no fee, full refund, apology."""
    flows.cancel_for_institution(session, user, booking_id, reason)
    flash(request, _("Cancelled for the Institute's use; the renter has been told and refunded in full."))
    return redirect(request, f"/manage/bookings/{booking_id}")


@router.get("/manage/reductions")
def reductions_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """The officer's queue: each claim with its booking, category, rate and proof to check."""
    reductions.ensure_officer(user)
    return render(
        request,
        "booking/manage_reductions.html",
        {
            "claims": reductions.pending_claims(session),
            "categories": reductions.current_categories(session, with_inactive=True),
        },
    )


@router.get("/manage/reductions/{claim_id}/proof")
def reduction_proof(claim_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """The uploaded proof, for the officer (and the renter who sent it) to open."""
    claim = reductions.get_claim(session, user, claim_id)
    disposition = "attachment" if claim.proof_type not in reductions.PROOF_TYPES else "inline"
    return Response(
        claim.proof,
        media_type=claim.proof_type or "application/octet-stream",
        headers={"Content-Disposition": f'{disposition}; filename="proof-{claim.id}"'},
    )


@router.post("/manage/reductions/{claim_id}/decision")
def decide_reduction(
    request: Request,
    claim_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    verified: Annotated[bool, Form()],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    reductions.decide_claim(session, user, claim_id, verified=verified, note=note)
    flash(request, _("Proof verified; the reduction applies.") if verified else _("Proof rejected."))
    return redirect(request, "/manage/reductions")


@router.post("/my/bookings/{booking_id}/reductions")
async def claim_reduction(
    request: Request,
    booking_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    category: Annotated[str, Form(max_length=30)],
    proof: Annotated[UploadFile, File()],
) -> Response:
    """A renter claims a reduction for a pending booking with its proof file."""
    content = await proof.read(reductions.MAX_PROOF_BYTES + 1)
    reductions.claim_reduction(
        session,
        user,
        booking_id,
        category=category,
        proof_name=proof.filename or "proof",
        proof_type=proof.content_type or "",
        proof=content,
    )
    flash(request, _("Reduction claimed; the officer checks the proof before the price is final."))
    return redirect(request, f"/my/bookings/{booking_id}")
