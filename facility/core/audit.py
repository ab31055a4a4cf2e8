"""The audit log: every state change records who, when, what, before and after."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from facility.core.auth import ensure_role
from facility.core.models import MANAGING_ROLES, AuditEntry, User

# Set per request by the app's middleware so services need not pass the address around.
client_ip: ContextVar[str] = ContextVar("client_ip", default="")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: SQLModel | dict[str, Any] | None, *, exclude: set[str] | None = None) -> Any:
    """A JSON-safe copy of a row's columns (secrets excluded) for before/after."""
    if obj is None:
        return None
    data = obj if isinstance(obj, dict) else obj.model_dump()
    hidden = {"password_hash"} | (exclude or set())
    return {k: _plain(v) for k, v in data.items() if k not in hidden}


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one audit entry in the caller's transaction, so it commits or rolls back with it."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else "system",
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=snapshot(before) if isinstance(before, SQLModel) else _plain(before),
        after=snapshot(after) if isinstance(after, SQLModel) else _plain(after),
        ip=client_ip.get(),
    )
    session.add(entry)
    return entry


def list_entries(
    session: Session,
    actor: User,
    *,
    entity: str | None = None,
    entity_id: object | None = None,
    action: str | None = None,
    actor_label: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Newest first; managers and admins only."""
    ensure_role(actor, *MANAGING_ROLES)
    query = select(AuditEntry)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    if action:
        query = query.where(col(AuditEntry.action).contains(action))
    if actor_label:
        query = query.where(col(AuditEntry.actor_label).contains(actor_label))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit).offset(offset)).all()
    return list(rows), total
