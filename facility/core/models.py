"""People, organisations and the audit trail: the tables every domain relies on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow


class Role(StrEnum):
    renter = "renter"
    crew = "crew"
    manager = "manager"
    admin = "admin"


STAFF_ROLES = frozenset({Role.crew, Role.manager, Role.admin})
MANAGING_ROLES = frozenset({Role.manager, Role.admin})


class OrgStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class OrgKind(StrEnum):
    """What kind of body the organisation is (shown to the officer; reductions need verified proof,
    booking/reductions.py)."""

    public = "public"
    education = "education"
    nonprofit = "nonprofit"
    private = "private"


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    business_number: str | None = Field(default=None, max_length=20, unique=True)
    kind: str = Field(default=OrgKind.private.value, sa_type=String(20))
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=254)
    status: str = Field(default=OrgStatus.pending.value, sa_type=String(20), index=True)
    status_reason: str = Field(default="", max_length=500)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    full_name: str = Field(default="", max_length=100)
    role: str = Field(sa_type=String(20), index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    active: bool = Field(default=True)
    locale: str = Field(default="ko", max_length=5)
    # Every session cookie and API token carries the version it was issued under; signing out
    # (or an admin disabling the account) bumps it, so copies of old cookies and tokens stop working.
    session_version: int = Field(default=0)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    # What a renter agreed to at sign-up (the versions of the terms and of the notice on personal
    # information, see accounts.TERMS_VERSION) and when; staff accounts, made by an admin, have none.
    terms_version: str = Field(default="", max_length=20)
    privacy_version: str = Field(default="", max_length=20)
    consented_at: datetime | None = utc_field(default=None, nullable=True)
    # Withdrawal (회원 탈퇴): the person's details are erased, the row stays for the financial
    # records that must be kept (see accounts.withdraw).
    withdrawn_at: datetime | None = utc_field(default=None, nullable=True)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGING_ROLES


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, from where; before and after as JSON. Never updated or deleted."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(default_factory=utcnow, nullable=False, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_label: str = Field(default="system", max_length=254)
    action: str = Field(max_length=80, index=True)
    entity: str = Field(max_length=60, index=True)
    entity_id: str = Field(default="", max_length=60)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    ip: str = Field(default="", max_length=64)


class SignInThrottle(SQLModel, table=True):
    """Sign-in attempts per account or address; one row per key, updated by one atomic upsert.

    Times are epoch seconds so the growing delay is plain arithmetic in SQL on both databases.
    """

    __tablename__ = "sign_in_throttle"

    key: str = Field(max_length=300, primary_key=True)
    attempts: int = Field(default=0)
    delay_s: float = Field(default=0)
    last_attempt_s: float = Field(default=0)
    blocked_until_s: float = Field(default=0)


class IdempotencyKey(SQLModel, table=True):
    """A client's `Idempotency-Key` and the first answer given to it (see core/idempotency.py)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    status_code: int | None = Field(default=None)
    content_type: str = Field(default="", max_length=100)
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False, index=True)


class FeedToken(SQLModel, table=True):
    """A secret URL token for a calendar feed; only its SHA-256 is stored. Rotating revokes the
    previous token and issues a new one; revoking leaves the feed without a token."""

    __tablename__ = "feed_token"

    id: int | None = Field(default=None, primary_key=True)
    # What the token opens, e.g. "organization:12" or "room:5"; core does not interpret it.
    scope: str = Field(max_length=80, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    revoked_at: datetime | None = utc_field(default=None, nullable=True)


class ReadModelVersion(SQLModel, table=True):
    """One row: bumped by a trigger whenever a table of the committed read model (core/memo.py)
    is written, visible when that write commits."""

    __tablename__ = "read_model_version"

    id: int = Field(primary_key=True)
    version: int = Field(default=0, sa_type=BigInteger)


class PasswordResetToken(SQLModel, table=True):
    """A one-time link that sets a user's password (a reset they asked for, or an admin's link);
    only the token's SHA-256 is stored, so a copy of the database opens no account."""

    __tablename__ = "password_reset_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field(default=None, nullable=True)
