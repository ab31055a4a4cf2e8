"""What "done" needs: a note, the time spent, parts when the work order asks for them, and a
signature or the crew member's own name typed (so it can be done with the keyboard alone).

Every missing piece is named at once (`extra["fields"]`, field -> sentence), so a form shows each
message beside its field and the API caller learns everything in one 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, select

from facility.core.i18n import gettext as _
from facility.core.models import User
from facility.maintenance.exceptions import CompletionIncomplete
from facility.maintenance.models import PartUsage, WorkOrder
from facility.maintenance.photos import store_photo


@dataclass(frozen=True)
class Evidence:
    note: str = ""
    minutes_spent: int | None = None
    signature: str | None = None  # a data: URL of the drawn signature
    confirm_name: str = ""


def _plain(name: str) -> str:
    return " ".join(name.split()).casefold()


def name_matches(actor: User, typed: str) -> bool:
    """The typed name is the signer's own (full name, or e-mail when none is on file)."""
    own = {_plain(actor.full_name), _plain(actor.email)} - {""}
    return bool(typed.strip()) and _plain(typed) in own


def missing_for_done(session: Session, actor: User, order: WorkOrder, evidence: Evidence) -> dict[str, str]:
    """Field -> why it is needed; empty when the work order may be completed."""
    missing: dict[str, str] = {}
    if not evidence.note.strip():
        missing["note"] = _("Write what was done.")
    minutes = evidence.minutes_spent if evidence.minutes_spent is not None else order.minutes_spent
    if not minutes or minutes <= 0:
        missing["minutes_spent"] = _("Enter the time spent in minutes.")
    if order.needs_parts:
        used = session.exec(select(func.count()).select_from(PartUsage).where(PartUsage.work_order_id == order.id))
        if not used.one():
            missing["part_id"] = _("This work order asks for the parts used; book them first.")
    if not evidence.signature:
        if not evidence.confirm_name.strip():
            missing["confirm_name"] = _("Sign, or type your name to confirm.")
        elif not name_matches(actor, evidence.confirm_name):
            missing["confirm_name"] = _("The typed name does not match your name ({name}).", name=actor.full_name)
    return missing


def record_done(session: Session, actor: User, order: WorkOrder, evidence: Evidence) -> None:
    """Refuse an incomplete completion (422 naming each field); else keep the signature or name."""
    missing = missing_for_done(session, actor, order, evidence)
    if missing:
        raise CompletionIncomplete(" ".join(missing.values()), extra={"fields": missing})
    if evidence.signature:
        order.signature_photo_id = store_photo(
            session, evidence.signature, uploaded_by=actor.id, work_order_id=order.id
        ).id
        order.signed_by = (actor.full_name or actor.email)[:100]
    else:
        order.signed_by = " ".join(evidence.confirm_name.split())[:100]
