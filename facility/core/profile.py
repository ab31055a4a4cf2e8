"""A person's own account: their profile, their organisation's contacts, and withdrawal (회원 탈퇴).

Withdrawal erases what identifies the person (name, e-mail, password) and keeps the row, so the
bookings, invoices and payments it is linked to stay whole: the 국세기본법 and 부가가치세법 keep
transaction records for five years, and the 개인정보 보호법 (Art. 21) allows keeping what another
law requires. The account can never sign in again; the organisation keeps its name and business
number (they are on its invoices) and loses the person's contact details when they were its contact.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlmodel import Session, col, delete, select

from facility.core import audit, business_number
from facility.core.accounts import EMAIL_PATTERN, normalise_email
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Conflict, Forbidden, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import Organization, PasswordResetToken, Role, User
from facility.core.security import hash_password, verify_password

WITHDRAWN_NAME = "탈퇴한 회원"
# Higher domains say why a person may not withdraw yet (booking: upcoming bookings); each returns
# a message or None. Wired in domains.connect_domains(), so core names no domain.
WithdrawalCheck = Callable[[Session, User], str | None]
_withdrawal_checks: list[WithdrawalCheck] = []


def register_withdrawal_check(check: WithdrawalCheck) -> None:
    if check not in _withdrawal_checks:
        _withdrawal_checks.append(check)


def update_profile(session: Session, user: User, *, full_name: str, locale: str | None = None) -> User:
    """The person's own name (and page language)."""
    ensure_role(user)
    name = full_name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Enter your name (at most 100 characters)."), code="full_name")
    before = audit.snapshot(user)
    user.full_name = name
    if locale in ("ko", "en"):
        user.locale = locale
    session.add(user)
    session.flush()
    audit.record(session, user, "user.profile", "user", user.id, before=before, after=user)
    return user


def update_organization_contacts(
    session: Session,
    user: User,
    *,
    contact_name: str,
    contact_phone: str,
    contact_email: str,
    business_number_text: str | None = None,
) -> Organization:
    """A renter updates their organisation's contact person, phone and e-mail (and its business
    number while none is on record: a number on issued invoices is changed by a manager)."""
    ensure_role(user, Role.renter)
    org = session.get(Organization, user.organization_id) if user.organization_id else None
    if org is None:
        raise Forbidden(_("Your account belongs to no organisation."))
    email = contact_email.strip()
    if email and not EMAIL_PATTERN.match(email):
        raise InvalidInput(_("Enter a valid e-mail address."), code="contact_email")
    if len(contact_name.strip()) > 100 or len(contact_phone.strip()) > 40:
        raise InvalidInput(_("The name or phone number is too long."))
    before = audit.snapshot(org)
    org.contact_name, org.contact_phone = contact_name.strip(), contact_phone.strip()
    org.contact_email = normalise_email(email) if email else ""
    number = (business_number_text or "").strip()
    if number and not org.business_number:
        if not business_number.is_valid(number):
            raise InvalidInput(
                _("This business registration number is not valid: check its digits."),
                code="business_number_invalid",
            )
        number = business_number.formatted(number)
        if session.exec(select(Organization).where(Organization.business_number == number)).first():
            raise Conflict(
                _("An organisation with this business registration number is already registered."), code="org_taken"
            )
        org.business_number = number
    session.add(org)
    session.flush()
    audit.record(session, user, "organization.contacts", "organization", org.id, before=before, after=org)
    return org


def withdraw(session: Session, user: User, password: str) -> User:
    """회원 탈퇴: the person proves it is them, nothing forbids it, then their details are erased."""
    ensure_role(user, Role.renter)
    if not verify_password(user.password_hash, password):
        raise InvalidInput(_("The current password is not right."), code="wrong_password")
    for check in _withdrawal_checks:
        reason = check(session, user)
        if reason:
            raise Conflict(reason, code="withdrawal_blocked")
    org = session.get(Organization, user.organization_id) if user.organization_id else None
    if org is not None and org.contact_email.lower() == user.email.lower():
        org.contact_name = org.contact_phone = org.contact_email = ""
        session.add(org)
    user.email = f"withdrawn-{user.id}@withdrawn.invalid"
    user.full_name = WITHDRAWN_NAME
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.active = False
    user.session_version += 1
    user.withdrawn_at = utcnow()
    session.add(user)
    session.execute(delete(PasswordResetToken).where(col(PasswordResetToken.user_id) == user.id))
    session.flush()
    # Only ids in the trail: the erased details must not live on in it.
    audit.record(session, None, "user.withdraw", "user", user.id, after={"organization_id": user.organization_id})
    return user
