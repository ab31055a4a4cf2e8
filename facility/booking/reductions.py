"""Reductions (감면): a renter claims a category for a pending booking and uploads its proof; the
rental officer verifies or rejects it; only verified claims lower the price, and of those only the
single highest rate applies. A booking with an undecided claim cannot be approved (its price is
not final), so an unverified reduction never reaches an invoice. An admin edits the categories
(rate, proof required, names): each save is a new version, audited; a claim keeps the rate it was
made with."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pydantic import BaseModel, Field
from sqlmodel import Session, col, func, select

from facility.booking import pricing
from facility.booking.exceptions import InvalidTransition
from facility.booking.models import Booking, BookingStatus
from facility.booking.queries import get_booking
from facility.booking.rental_models import ClaimStatus, ReductionCategory, ReductionClaim
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.core.models import MANAGING_ROLES, Role, User

# Category -> (percent, the proof the officer needs to see); labels are `reduction.<code>`.
CATEGORIES: dict[str, tuple[int, str]] = {
    "government": (100, N_("An official letter from the government body requesting the use.")),
    "basic_livelihood": (50, N_("A certificate of basic livelihood security recipient status.")),
    "disabled": (50, N_("A disability registration certificate.")),
    "national_merit": (50, N_("A national merit (국가유공자) certificate.")),
    "lifelong_education": (30, N_("The designation letter of the lifelong-education body.")),
}
# Korean and English names of the built-in categories (before an admin saves a version of one).
DEFAULT_NAMES: dict[str, tuple[str, str]] = {
    "government": ("정부·공공기관 공용", "Government use"),
    "basic_livelihood": ("기초생활수급자", "Basic livelihood recipients"),
    "disabled": ("장애인", "Disabled people"),
    "national_merit": ("국가유공자", "National merit"),
    "lifelong_education": ("평생교육기관", "Lifelong-education bodies"),
}


@dataclass(frozen=True)
class Category:
    """A category as it is in force now (version 0: the built-in default, never saved)."""

    code: str
    percent: int
    proof_required: bool
    name_ko: str
    name_en: str
    proof_hint: str
    version: int = 0


class CategorySave(BaseModel):
    percent: int = Field(ge=0, le=100)
    proof_required: bool = True
    name_ko: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    proof_hint: str = Field(default="", max_length=300)
    active: bool = True


def current_categories(session: Session, *, with_inactive: bool = False) -> dict[str, Category]:
    """Every category in force: the newest saved version of each code, else its default."""
    found = {
        code: Category(code, percent, True, *DEFAULT_NAMES[code], proof_hint=hint)
        for code, (percent, hint) in CATEGORIES.items()
    }
    newest = (
        select(ReductionCategory.code, func.max(ReductionCategory.version).label("version"))
        .group_by(col(ReductionCategory.code))
        .subquery()
    )
    rows = session.exec(
        select(ReductionCategory).join(
            newest, (newest.c.code == ReductionCategory.code) & (newest.c.version == ReductionCategory.version)
        )
    ).all()
    for row in rows:
        found.pop(row.code, None)
        if row.active or with_inactive:
            found[row.code] = Category(
                row.code, row.percent, row.proof_required, row.name_ko, row.name_en, row.proof_hint, row.version
            )
    return dict(sorted(found.items(), key=lambda item: (-item[1].percent, item[0])))


def category_history(session: Session, code: str) -> list[ReductionCategory]:
    return list(
        session.exec(
            select(ReductionCategory).where(ReductionCategory.code == code).order_by(col(ReductionCategory.version))
        )
    )


def save_category(session: Session, admin: User, code: str, data: CategorySave) -> ReductionCategory:
    """An admin sets a category (a new code, or a new version of one); audited with the one before.
    Claims already made keep their rate; new claims use this version."""
    ensure_role(admin, Role.admin)
    code = code.strip().lower()
    if not code or len(code) > 30 or not (code.isascii() and code.replace("_", "").isalnum()):
        raise InvalidInput(_("A category code is lower-case letters, digits and underscores."))
    before = current_categories(session, with_inactive=True).get(code)
    previous = max((row.version for row in category_history(session, code)), default=0)
    row = ReductionCategory(
        code=code,
        version=previous + 1,
        percent=data.percent,
        proof_required=data.proof_required,
        name_ko=data.name_ko.strip(),
        name_en=data.name_en.strip(),
        proof_hint=data.proof_hint.strip(),
        active=data.active,
        created_by_id=admin.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        admin,
        "reduction_category.save",
        "reduction_category",
        row.id,
        before=asdict(before) if before else None,
        after=row,
    )
    return row


PROOF_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAX_PROOF_BYTES = 5 * 1024 * 1024
# A claim can be made while the price is still open: before approval.
OPEN_STATUSES = {BookingStatus.held.value, BookingStatus.requested.value}


def claim_reduction(
    session: Session,
    actor: User,
    booking_id: int,
    *,
    category: str,
    proof_name: str,
    proof_type: str,
    proof: bytes,
) -> ReductionClaim:
    """The renter (or a manager for them) claims a category with its proof; pending until verified."""
    if actor.is_staff and not actor.is_manager:
        raise Forbidden(_("Only managers and the renter may change a booking."))
    booking = get_booking(session, actor, booking_id, lock=True)
    chosen = current_categories(session).get(category)
    if chosen is None:
        raise InvalidInput(_("Choose a reduction category from the list."))
    if booking.status not in OPEN_STATUSES:
        raise InvalidTransition(_("A reduction can be claimed only before the booking is approved."))
    if not proof and chosen.proof_required:
        raise InvalidInput(_("Upload the proof this reduction requires."), code="proof_missing")
    if len(proof) > MAX_PROOF_BYTES:
        raise InvalidInput(_("The proof file is larger than 5 MB."))
    if proof and proof_type not in PROOF_TYPES:
        raise InvalidInput(_("The proof must be a PDF, JPEG or PNG file."))
    claim = ReductionClaim(
        booking_id=booking.id,  # type: ignore[arg-type]
        category=category,
        percent=chosen.percent,
        proof_name=proof_name[:200],
        proof_type=proof_type,
        proof=proof,
        user_id=actor.id,
    )
    session.add(claim)
    session.flush()
    audit.record(session, actor, "reduction.claim", "reduction_claim", claim.id, after=_shown(claim))
    return claim


def _shown(claim: ReductionClaim) -> object:
    return audit.snapshot(claim, exclude={"proof"}) | {"proof_bytes": len(claim.proof)}


def get_claim(session: Session, actor: User, claim_id: int) -> ReductionClaim:
    """A claim its booking's reader may see (a renter only their organisation's)."""
    claim = session.get(ReductionClaim, claim_id)
    if claim is None:
        raise NotFound(_("No such reduction claim."))
    get_booking(session, actor, claim.booking_id)
    return claim


def claims_for(session: Session, booking_id: int) -> list[ReductionClaim]:
    return list(
        session.exec(
            select(ReductionClaim).where(ReductionClaim.booking_id == booking_id).order_by(col(ReductionClaim.id))
        )
    )


def ensure_officer(actor: User | None) -> User:
    return ensure_role(actor, *MANAGING_ROLES)


def pending_claims(session: Session) -> list[ReductionClaim]:
    """The officer's queue: undecided claims, oldest first."""
    return list(
        session.exec(
            select(ReductionClaim)
            .where(ReductionClaim.status == ClaimStatus.pending.value)
            .order_by(col(ReductionClaim.created_at))
        )
    )


def decide_claim(session: Session, officer: User, claim_id: int, *, verified: bool, note: str = "") -> ReductionClaim:
    """The officer verifies the proof (the reduction applies) or rejects it (with a note); the
    booking's quote is repriced with the highest verified rate."""
    ensure_role(officer, *MANAGING_ROLES)
    claim = session.get(ReductionClaim, claim_id, with_for_update=True, populate_existing=True)
    if claim is None:
        raise NotFound(_("No such reduction claim."))
    if claim.status != ClaimStatus.pending.value:
        raise InvalidTransition(_("This reduction claim has already been decided."))
    if not verified and not note.strip():
        raise InvalidInput(_("Give a reason for rejecting the proof."))
    booking = get_booking(session, officer, claim.booking_id, lock=True)
    if booking.status not in OPEN_STATUSES:
        raise InvalidTransition(_("A reduction can be claimed only before the booking is approved."))
    before = _shown(claim)
    claim.status = (ClaimStatus.verified if verified else ClaimStatus.rejected).value
    claim.note = note.strip()[:500]
    claim.decided_by_id = officer.id
    claim.decided_at = utcnow()
    session.add(claim)
    session.flush()
    audit.record(
        session, officer, f"reduction.{claim.status}", "reduction_claim", claim.id, before=before, after=_shown(claim)
    )
    reprice(session, officer, booking)
    return claim


def reprice(session: Session, actor: User | None, booking: Booking) -> Booking:
    """Set the booking's reduction to its highest verified claim (none without one), audited."""
    verified = [c for c in claims_for(session, booking.id) if c.status == ClaimStatus.verified.value]  # type: ignore[arg-type]
    best = max(verified, key=lambda c: c.percent, default=None)
    quote = pricing.with_reduction(booking.quote, best.percent if best else 0, best.category if best else "")
    if quote == booking.quote:
        return booking
    before = audit.snapshot(booking)
    booking.quote = quote
    booking.price_total = quote["total"]
    session.add(booking)
    session.flush()
    audit.record(session, actor, "booking.reprice", "booking", booking.id, before=before, after=booking)
    return booking


def ensure_price_final(session: Session, booking: Booking) -> None:
    """Refuse approval while a reduction claim waits for the officer."""
    if any(c.status == ClaimStatus.pending.value for c in claims_for(session, booking.id)):  # type: ignore[arg-type]
        raise InvalidTransition(
            _("A reduction claim awaits verification: verify or reject its proof before approving."),
            code="reduction_pending",
        )
