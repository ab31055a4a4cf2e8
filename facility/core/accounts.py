"""Accounts and organisations: sign-up, sign-in with rate limits, staff creation, approval."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from facility.core import audit, memo, outbox, throttle
from facility.core import business_number as business_number_rule
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.core.models import (
    MANAGING_ROLES,
    STAFF_ROLES,
    Organization,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from facility.core.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    is_guessable_password,
    needs_rehash,
    verify_password,
)

# Five attempts per account and twenty per address are free; then each waits a doubling delay
# (1 s, 2 s, ... up to 5 minutes), and 15 quiet minutes start the key afresh. See docs/security.md.
ACCOUNT_BUDGET = throttle.Budget(free_attempts=5)
ADDRESS_BUDGET = throttle.Budget(free_attempts=20)
# Sign-ups per address: a school's staff room signs up a handful of people in an afternoon; past
# that a minute's wait, doubling to an hour, makes a hundred probes or fake accounts cost days.
SIGN_UP_BUDGET = throttle.Budget(free_attempts=5, first_delay_s=60.0, max_delay_s=3600.0, quiet_reset_s=3600.0)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The versions of the terms of use and of the notice on collecting and using personal information
# shown at sign-up (templates/core/_consent.html); change the text, change the version.
TERMS_VERSION = "2026-12-01"
PRIVACY_VERSION = "2026-12-01"


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise InvalidInput(_("Enter a valid e-mail address."))
    return email


def check_password(password: str, *context: str) -> None:
    """NIST SP 800-63B: long enough, and not common, breached, repetitive or the account's own words."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password must be at least {n} characters.", n=MIN_PASSWORD_LENGTH))
    if is_guessable_password(password, *context):
        raise InvalidInput(
            _("This password is too easy to guess: it is common, repetitive or made of your own details."),
            code="weak_password",
        )


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def _throttle_keys(email: str, ip: str, device: str | None) -> tuple[str, str | None]:
    # A browser that signed in to this account before counts on its own key and not on the
    # address's, so neither an attacker hammering the account nor strangers failing behind the
    # same NAT can keep its owner out (OWASP's "device cookie").
    account = email.strip().lower()
    if device:
        return f"device:{account}:{device}", None
    return f"account:{account}", f"address:{ip}"


def refuse_for(wait: float, message: str) -> TooManyRequests:
    seconds = throttle.retry_after(wait)
    return TooManyRequests(_(message, seconds=seconds), headers={"Retry-After": str(seconds)})


def admit_sign_in(session: Session, email: str, ip: str, device: str | None = None) -> None:
    """Count this attempt against the account and the address (a known device: against its own
    key only); 429 while either must wait."""
    account_key, address_key = _throttle_keys(email, ip, device)
    wait = throttle.take_attempt(session, account_key, ACCOUNT_BUDGET)
    if address_key is not None:
        wait = max(wait, throttle.take_attempt(session, address_key, ADDRESS_BUDGET))
    if wait:
        raise refuse_for(wait, N_("Too many sign-in attempts. Try again in {seconds} seconds."))


def admit_sign_up(session: Session, ip: str) -> None:
    """Count a sign-up (or a probe of one) against the address; 429 while it must wait."""
    wait = throttle.take_attempt(session, f"signup:{ip}", SIGN_UP_BUDGET)
    if wait:
        raise refuse_for(wait, N_("Too many sign-ups from this network. Try again in {seconds} seconds."))


def authenticate(session: Session, email: str, password: str, ip: str, device: str | None = None) -> User | None:
    """The user for these credentials, or None. Call after `admit_sign_in` has counted the attempt.

    An unknown e-mail costs one Argon2 verification like a known one, so timing does not tell
    whether an account exists.
    """
    user = get_user_by_email(session, email)
    matched = verify_password(user.password_hash if user else None, password)
    if user is None or not matched or not user.active:
        return None
    account_key, address_key = _throttle_keys(email, ip, device)
    throttle.forget(session, account_key)
    if address_key is not None:
        throttle.refund_attempt(session, address_key)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def sign_out(session: Session, user: User) -> None:
    """End every session and token of this user: their session version moves on."""
    user.session_version += 1
    session.add(user)
    session.flush()
    audit.record(session, user, "user.sign_out", "user", user.id)


def set_password(session: Session, actor: User | None, user: User, password: str) -> User:
    """Give `user` a new (strength-checked) password and end their other sessions and tokens.
    `actor` is who did it: an admin, the user themselves, or None for the CLI or a reset link."""
    check_password(password, user.email.split("@")[0], user.full_name)
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.set_password", "user", user.id)
    return user


def change_password(session: Session, user: User, current: str, new: str) -> User:
    """A signed-in user replaces their password, proving the current one first (counted like a
    sign-in of the account, so a borrowed session cannot guess it)."""
    wait = throttle.take_attempt(session, f"change:{user.id}", ACCOUNT_BUDGET)
    if wait:
        raise refuse_for(wait, N_("Too many sign-in attempts. Try again in {seconds} seconds."))
    if not verify_password(user.password_hash, current):
        raise InvalidInput(_("The current password is not right."), code="wrong_password")
    throttle.forget(session, f"change:{user.id}")
    return set_password(session, user, user, new)


def create_user(
    session: Session,
    actor: User | None,
    *,
    email: str,
    password: str,
    role: Role,
    full_name: str = "",
    organization_id: int | None = None,
    consent: tuple[str, str] | None = None,
) -> User:
    """Create an account; only admins (or the CLI, with no actor) create staff. `consent` is the
    (terms, privacy notice) versions a renter agreed to at sign-up, recorded with the time."""
    if actor is not None:
        ensure_role(actor, Role.admin)
    email = normalise_email(email)
    check_password(password, email.split("@")[0], full_name)
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
    if consent is not None:
        user.terms_version, user.privacy_version = consent
        user.consented_at = utcnow()
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, after=user)
    return user


def _business_number(session: Session, business_number: str | None) -> str | None:
    """The number in its usual form (123-45-67890), checked and not yet registered."""
    number = (business_number or "").strip() or None
    if number is None:
        return None
    if not business_number_rule.PATTERN.match(number):
        raise InvalidInput(_("The business registration number has the form 123-45-67890."))
    if not business_number_rule.is_valid(number):
        raise InvalidInput(
            _("This business registration number is not valid: check its digits."), code="business_number_invalid"
        )
    number = business_number_rule.formatted(number)
    if session.exec(select(Organization).where(Organization.business_number == number)).first():
        raise Conflict(
            _("An organisation with this business registration number is already registered."),
            code="org_taken",
        )
    return number


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
    number = _business_number(session, business_number)
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
    accept_terms: bool = False,
    accept_privacy: bool = False,
) -> User | None:
    """A renter registers themselves and their organisation; the organisation waits for approval.
    The new user, or None when the address already has an account.

    The caller answers both the same way, so sign-up tells nobody which addresses have accounts:
    every check that does not depend on the address runs first, a known address costs the same
    Argon2 hash, and the address's owner hears by e-mail in both cases (a welcome, or a note that
    someone tried to sign up with it).

    Both the terms and the notice on collecting and using personal information must be accepted
    (the Personal Information Protection Act asks for consent before collecting); the versions
    agreed to and the time are kept on the account.
    """
    email = normalise_email(email)
    check_password(password, email.split("@")[0], full_name, org_name)
    if not (accept_terms and accept_privacy):
        raise InvalidInput(
            _("Agree to the terms and to the collection and use of personal information to sign up."),
            code="consent_required",
        )
    if not org_name.strip():
        raise InvalidInput(_("Enter the organisation's name."))
    _business_number(session, business_number)
    existing = get_user_by_email(session, email)
    if existing is not None:
        hash_password(password)
        outbox.enqueue_email(
            session,
            to=email,
            subject=_("Someone tried to sign up with your e-mail address"),
            body=_(
                "Somebody tried to create a new account with this address, which already has one. "
                "If it was you, sign in instead (or reset your password with a manager). "
                "If not, you can ignore this message: nothing was changed."
            ),
        )
        audit.record(session, None, "user.sign_up_existing", "user", existing.id)
        return None
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
    user = create_user(
        session,
        None,
        email=email,
        password=password,
        role=Role.renter,
        full_name=full_name,
        organization_id=org.id,
        consent=(TERMS_VERSION, PRIVACY_VERSION),
    )
    outbox.enqueue_email(
        session,
        to=email,
        subject=_("Welcome to the campus booking service"),
        body=_("Your account is ready: sign in with this address. Your organisation waits for a manager's approval."),
    )
    return user


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
    """Memoised (core/memo.py): every renter's booking request asks. An approval or suspension
    made by this process counts at once; one made by another web worker when its notification
    arrives (or within `memo.TTL_S` while nobody listens)."""
    if not organization_id:
        return False

    def read(s: Session) -> bool:
        org = s.get(Organization, organization_id)
        return org is not None and org.status == OrgStatus.approved.value

    return memo.remembered(session, f"accounts.org_approved:{organization_id}", ("organization",), read)


def active_staff(session: Session) -> list[User]:
    """Active staff by name: whom work and alerts can be assigned to."""
    query = select(User).where(col(User.role).in_([r.value for r in STAFF_ROLES]))
    return list(session.exec(query.where(col(User.active).is_(True)).order_by(User.full_name)))


def unapproved_organization(session: Session, user: User | None) -> Organization | None:
    """A renter's organisation while it may not book yet (pending or rejected), else None: the
    pages tell the renter before they start a form rather than after they submit it."""
    if user is None or user.is_staff or not user.organization_id:
        return None
    org = session.get(Organization, user.organization_id)
    return org if org is not None and org.status != OrgStatus.approved.value else None
