"""Purposes a renter declares with a request: public bodies refuse political, religious and
commercial use outright (the rule is named in the refusal), and fee schedules may price the
others in tiers (`FeeSchedule.purpose_percent`)."""

from __future__ import annotations

from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.core.i18n import label

# Allowed purposes; each has a `purpose.<code>` label in the catalogue.
ALLOWED = ("general", "resident_welfare", "education", "culture", "exam", "company_event")
# Refused purposes and the rule each breaks (a sentence in the catalogue).
EXCLUDED: dict[str, str] = {
    "political": N_("Rule 1 (political neutrality): rooms are not let for political party or election activity."),
    "religious": N_("Rule 2 (religious neutrality): rooms are not let for worship or religious mission."),
    "commercial": N_("Rule 3 (no profit-making): rooms are not let for sales, promotion or paid admission."),
}
ALL = (*ALLOWED, *EXCLUDED)


def check_purpose(purpose: str) -> str:
    """The purpose if it may be booked; InvalidInput naming the rule (or the unknown code) if not."""
    if purpose in EXCLUDED:
        raise InvalidInput(
            _(
                "This purpose cannot be accepted ({purpose}). {rule}",
                purpose=label(f"purpose.{purpose}"),
                rule=_(EXCLUDED[purpose]),
            ),
            code="purpose_excluded",
        )
    if purpose not in ALLOWED:
        raise InvalidInput(_("Choose a purpose from the list."), code="purpose_unknown")
    return purpose


def purpose_percent(tiers: dict[str, int], purpose: str) -> int:
    """The schedule's percent of the rate for this purpose (100 when it sets none)."""
    return int(tiers.get(purpose, 100))
