"""Tables of statutory duties: each step of a chain a completed inspection starts, and its evidence.

The steps are copied from the template version's `duty` definition when the chain opens, so a
later edit of the definition never moves the clocks of a chain already running.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow


class Duty(SQLModel, table=True):
    """One step of a statutory duty's chain: who owes what, by when, and whether it is done."""

    __tablename__ = "mnt_duty"
    __table_args__ = (UniqueConstraint("inspection_id", "step_key"),)

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="mnt_inspection.id", index=True)
    template_id: int = Field(foreign_key="mnt_template.id", index=True)
    template_version: int = Field(default=1)
    duty_code: str = Field(max_length=60, index=True)
    step_key: str = Field(max_length=40)
    step_order: int = Field(default=0)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    law: str = Field(max_length=100, index=True)
    article: str = Field(default="", max_length=200)
    source_url: str = Field(default="", max_length=300)
    building_id: int | None = Field(default=None, foreign_key="building.id", index=True)
    # "manager" (the safety manager) or "inspector" (whoever completed the inspection).
    owner_role: str = Field(default="manager", sa_type=String(20))
    owner_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    # The inspection's completion: every clock of the chain counts from it.
    starts_at: datetime = utc_field(nullable=False)
    due_at: datetime = utc_field(nullable=False, index=True)
    # A posting step: the record stays posted until then.
    hold_until: datetime | None = utc_field(default=None, nullable=True)
    # What closes the step: "reference" (a portal number), "file", "any"; "" for a retention step.
    evidence_kind: str = Field(default="any", sa_type=String(20))
    # open, done, expired (a retention period that ran out: its records may now be deleted).
    status: str = Field(default="open", sa_type=String(20), index=True)
    done_at: datetime | None = utc_field(default=None, nullable=True)
    done_by: int | None = Field(default=None, foreign_key="user_account.id")
    reminded_at: datetime | None = utc_field(default=None, nullable=True)
    escalated_at: datetime | None = utc_field(default=None, nullable=True)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class DutyEvidence(SQLModel, table=True):
    """A portal submission's reference number and/or a file that proves a step was done."""

    __tablename__ = "mnt_duty_evidence"

    id: int | None = Field(default=None, primary_key=True)
    duty_id: int = Field(foreign_key="mnt_duty.id", index=True)
    reference_no: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=1000)
    filename: str = Field(default="", max_length=200)
    content_type: str = Field(default="", max_length=60)
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    sha256: str = Field(default="", max_length=64)
    added_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
