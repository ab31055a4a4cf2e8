"""What a checklist item asks for beside its answer: a note, a photo or a time of day.

Templates say `note: on_fail|always` and `photo: on_fail|always` on an item (a failed fire-safety
item needs a photo and a note for the remediation plan); the server enforces them here, naming the
item in the 422, so a tablet that skipped the form's checks still cannot file incomplete evidence.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from facility.core.i18n import gettext as _
from facility.core.models import User
from facility.maintenance.exceptions import InvalidAnswers
from facility.maintenance.kinds import AskWhen
from facility.maintenance.photos import store_photo

MAX_NOTE = 1000
MAX_PHOTOS_PER_ITEM = 5
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def parse_time(key: str, value: Any) -> str:
    """A "time of test" answer as HH:MM (24 h, Asia/Seoul as the crew read it off the clock)."""
    text = str(value).strip()[:5]
    if not TIME_OF_DAY.match(text):
        raise InvalidAnswers(_("{key}: a time of day (HH:MM) is needed.", key=key), extra={"item": key})
    return text


def asked(rule: str, failed: bool) -> bool:
    return rule == AskWhen.always.value or (rule == AskWhen.on_fail.value and failed)


def check_extras(
    session: Session,
    actor: User,
    items: list[dict[str, Any]],
    failed: list[str],
    notes: dict[str, str],
    photos: dict[str, list[str]],
) -> dict[str, dict[str, Any]]:
    """The notes and photos items asked for, stored by item key; a missing one is a 422 naming it."""
    known = {item["key"]: item for item in items}
    unknown = sorted((set(notes) | set(photos)) - set(known))
    if unknown:
        raise InvalidAnswers(_("Unknown checklist items: {items}.", items=", ".join(unknown)))
    extras: dict[str, dict[str, Any]] = {}
    for key, item in known.items():
        is_failed = key in failed
        note = " ".join(str(notes.get(key, "")).split())[:MAX_NOTE]
        shots = photos.get(key) or []
        if asked(item.get("note", "never"), is_failed) and not note:
            raise InvalidAnswers(
                _("'{item}' ({key}) needs a note.", item=item["ko"], key=key), extra={"item": key, "needs": "note"}
            )
        if asked(item.get("photo", "never"), is_failed) and not shots:
            raise InvalidAnswers(
                _("'{item}' ({key}) needs a photo.", item=item["ko"], key=key), extra={"item": key, "needs": "photo"}
            )
        if len(shots) > MAX_PHOTOS_PER_ITEM:
            raise InvalidAnswers(_("{key}: at most {n} photos.", key=key, n=MAX_PHOTOS_PER_ITEM), extra={"item": key})
        entry: dict[str, Any] = {}
        if note:
            entry["note"] = note
        if shots:
            entry["photos"] = [store_photo(session, str(p), uploaded_by=actor.id).id for p in shots]
        if entry:
            extras[key] = entry
    return extras
