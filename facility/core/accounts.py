"""Accounts and organisations: sign-up, sign-in with rate limits, staff creation, approval."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, col, delete, func, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from facility.core.i18n import gettext as _
from facility.core.models import (
    MANAGING_ROLES,
    LoginFailure,
    Organization,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from facility.core.security import MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password

# Five wrong passwords per account, or twenty per address, in this window block further tries.
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BUSINESS_NUMBER_PATTERN = re.compile(r"^\d{3}-?\d{2}-?\d{5}$")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise InvalidInput(_("Enter a valid e-mail address."))
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password must be at least {n} characters.", n=MIN_PASSWORD_LENGTH))


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def _failures(session: Session, key: str) -> int:
    since = utcnow() - LOGIN_WINDOW
    query = select(func.count()).where(LoginFailure.key == key, LoginFailure.at >= since)
    return session.exec(query).one()


def authenticate(session: Session, email: str, password: str, ip: str) -> User | None:
    """The user for these credentials, or None after recording the failure.

    Raises TooManyRequests while the account or the address is over its failure budget.
    """
    email = email.strip().lower()
    account_key, address_key = f"account:{email}", f"address:{ip}"
    if (
        _failures(session, account_key) >= MAX_FAILURES_PER_ACCOUNT
        or _failures(session, address_key) >= MAX_FAILURES_PER_ADDRESS
    ):
        raise TooManyRequests(_("Too many failed sign-ins. Wait 15 minutes and try again."))
    user = get_user_by_email(session, email)
    if user is None or not verify_password(user.password_hash, password) or not user.active:
        session.add(LoginFailure(key=account_key))
        session.add(LoginFailure(key=address_key))
        session.flush()
        return None
    session.exec(delete(LoginFailure).where(col(LoginFailure.key) == account_key))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def create_user(
    session: Session,
    actor: User | None,
    *,
    email: str,
    password: str,
    role: Role,
    full_name: str = "",
    organization_id: int | None = None,
) -> User:
    """Create an account; only admins (or the CLI, with no actor) create staff."""
    if actor is not None:
        ensure_role(actor, Role.admin)
    email = normalise_email(email)
    _check_password(password)
    if role == Role.renter and organization_id is None:
        raise InvalidInput(_("A renter must belong to an organisation."))
    if get_user_by_email(session, email):
        raise Conflict(_("An account with this e-mail already exists."), code="email_taken")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role.value,
        full_name=full_name.strip(),
        organization_id=organization_id,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, after=user)
    return user


def create_organization(
    session: Session,
    actor: User | None,
    *,
    name: str,
    business_number: str | None = None,
    kind: OrgKind = OrgKind.private,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    approved: bool = False,
) -> Organization:
    name = name.strip()
    if not name:
        raise InvalidInput(_("Enter the organisation's name."))
    number = (business_number or "").strip() or None
    if number is not None:
        if not BUSINESS_NUMBER_PATTERN.match(number):
            raise InvalidInput(_("The business registration number has the form 123-45-67890."))
        digits = number.replace("-", "")
        number = f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
        if session.exec(select(Organization).where(Organization.business_number == number)).first():
            raise Conflict(
                _("An organisation with this business registration number is already registered."),
                code="org_taken",
            )
    org = Organization(
        name=name,
        business_number=number,
        kind=kind.value,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        contact_email=contact_email.strip(),
        status=(OrgStatus.approved if approved else OrgStatus.pending).value,
    )
    session.add(org)
    session.flush()
    audit.record(session, actor, "organization.create", "organization", org.id, after=org)
    return org


def sign_up_renter(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str,
    org_name: str,
    business_number: str | None,
    org_kind: OrgKind,
    contact_phone: str,
) -> User:
    """A renter registers themselves and their organisation; the organisation waits for approval."""
    email = normalise_email(email)
    _check_password(password)
    if get_user_by_email(session, email):
        raise Conflict(_("An account with this e-mail already exists."), code="email_taken")
    org = create_organization(
        session,
        None,
        name=org_name,
        business_number=business_number,
        kind=org_kind,
        contact_name=full_name,
        contact_phone=contact_phone,
        contact_email=email,
    )
    return create_user(
        session,
        None,
        email=email,
        password=password,
        role=Role.renter,
        full_name=full_name,
        organization_id=org.id,
    )


def list_organizations(session: Session, actor: User, *, status: OrgStatus | None = None) -> list[Organization]:
    ensure_role(actor, *MANAGING_ROLES)
    query = select(Organization).order_by(col(Organization.created_at).desc())
    if status:
        query = query.where(Organization.status == status.value)
    return list(session.exec(query).all())


def decide_organization(session: Session, actor: User, org_id: int, *, approve: bool, reason: str = "") -> Organization:
    """A manager approves an organisation (it may then book) or rejects it with a reason."""
    ensure_role(actor, *MANAGING_ROLES)
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    if not approve and not reason.strip():
        raise InvalidInput(_("Give a reason for the rejection."))
    before = audit.snapshot(org)
    org.status = (OrgStatus.approved if approve else OrgStatus.rejected).value
    org.status_reason = reason.strip()
    session.add(org)
    session.flush()
    action = "organization.approve" if approve else "organization.reject"
    audit.record(session, actor, action, "organization", org.id, before=before, after=org)
    return org


def organization_is_approved(session: Session, organization_id: int | None) -> bool:
    org = session.get(Organization, organization_id) if organization_id else None
    return org is not None and org.status == OrgStatus.approved.value
