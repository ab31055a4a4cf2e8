"""API shapes of statutory duties."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DutyEvidencePublic(BaseModel):
    id: int
    reference_no: str
    note: str
    filename: str
    content_type: str
    url: str | None
    created_at: datetime


class DutyPublic(BaseModel):
    id: int
    inspection_id: int
    duty_code: str
    step: str
    step_name: str
    law: str
    article: str
    source_url: str
    building_id: int | None
    building: str
    owner_role: str
    owner_id: int | None
    starts_at: datetime
    due_at: datetime
    hold_until: datetime | None
    evidence_kind: str
    status: str
    overdue: bool
    waiting_on_remediation: bool
    work_order_ids: list[int]
    evidence: list[DutyEvidencePublic]


class DutyEvidenceCreate(BaseModel):
    """A portal submission's reference number and/or a file (a base64 data URL: PDF or image)."""

    reference_no: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=1000)
    filename: str = Field(default="", max_length=200)
    # 4 MB of file is about 5.6 million base64 characters.
    file: str | None = Field(default=None, max_length=5_600_100)
