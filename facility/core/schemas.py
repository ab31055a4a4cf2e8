"""API shapes for accounts, organisations and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from facility.core.models import OrgKind, Role


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserPublic(BaseModel):
    id: int
    email: str
    full_name: str
    role: str
    organization_id: int | None
    active: bool


class UserCreate(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    full_name: str = Field(default="", max_length=100)
    organization_id: int | None = None


class RenterSignUp(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(min_length=8, max_length=200)
    full_name: str = Field(min_length=1, max_length=100)
    org_name: str = Field(min_length=1, max_length=200)
    business_number: str | None = Field(default=None, max_length=20)
    org_kind: OrgKind = OrgKind.private
    contact_phone: str = Field(default="", max_length=40)
    accept_terms: bool = Field(default=False, description="the terms of use (accounts.TERMS_VERSION)")
    accept_privacy: bool = Field(
        default=False, description="collection and use of personal information (accounts.PRIVACY_VERSION)"
    )


class SignUpAccepted(BaseModel):
    """The one answer to a sign-up, whether its address was new or not."""

    detail: str


class OrganizationPublic(BaseModel):
    id: int
    name: str
    business_number: str | None
    kind: str
    contact_name: str
    contact_phone: str
    contact_email: str
    status: str
    status_reason: str
    created_at: datetime


class OrganizationDecision(BaseModel):
    approve: bool
    reason: str = Field(default="", max_length=500)


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any
    ip: str


class AuditList(BaseModel):
    items: list[AuditEntryPublic]
    total: int


class PasswordResetRequest(BaseModel):
    email: str = Field(max_length=254)


class PasswordResetAccepted(BaseModel):
    """The one answer to a reset request, whether its address has an account or not."""

    detail: str


class PasswordResetConfirm(BaseModel):
    token: str = Field(max_length=100)
    password: str = Field(max_length=200)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    password: str = Field(max_length=200)
