"""Create and edit one row the way every admin API does: in a savepoint, a unique clash as a 409,
and one audit entry with before and after."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from facility.core import audit
from facility.core.errors import Conflict, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import User

Row = TypeVar("Row", bound=SQLModel)


def _flush(session: Session, row: SQLModel) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(_("The code is already used, or a referenced row does not exist.")) from None


def get_row(session: Session, model: type[Row], row_id: int, what: str) -> Row:
    """The row with this id, or a 404 naming what was looked for."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(_("{what} {id} does not exist.", what=what, id=row_id))
    return row


def create_row(session: Session, actor: User | None, row: Row, *, entity: str) -> Row:
    """Insert the row; audited as `<entity>.create`."""
    _flush(session, row)
    audit.record(session, actor, f"{entity}.create", entity, getattr(row, "id", ""), after=row)
    return row


def update_row(session: Session, actor: User | None, row: Row, changes: dict[str, Any], *, entity: str) -> Row:
    """Apply the changes (enum values stored as their value); audited as `<entity>.update`."""
    before = audit.snapshot(row)
    for field, value in changes.items():
        setattr(row, field, value.value if hasattr(value, "value") else value)
    _flush(session, row)
    audit.record(session, actor, f"{entity}.update", entity, getattr(row, "id", ""), before=before, after=row)
    return row
