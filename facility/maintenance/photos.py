"""Photos and signatures arrive as data URLs (the tablet queues them offline as text)."""

from __future__ import annotations

import base64
import binascii
import hashlib

from sqlmodel import Session

from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.maintenance.exceptions import AssetNotFound
from facility.maintenance.models import Photo

ALLOWED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# The tablet scales photos to ~1600 px JPEG before queuing; 4 MB leaves room for a raw one.
MAX_PHOTO_BYTES = 4 * 1024 * 1024


def get_photo(session: Session, photo_id: int) -> Photo:
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise AssetNotFound(_("Photo not found."))
    return photo


def decode_data_url(value: str) -> tuple[str, bytes]:
    """The content type and bytes of a base64 image data URL, or InvalidInput."""
    header, _comma, payload = value.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise InvalidInput(_("An image must be sent as a base64 data URL."))
    content_type = header[5:].removesuffix(";base64")
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(_("Images must be JPEG, PNG or WebP, not {kind}.", kind=content_type or "?"))
    if len(payload) > MAX_PHOTO_BYTES * 4 // 3 + 4:
        raise InvalidInput(_("The image is too large (4 MB at most)."))
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(_("The image data is not valid base64.")) from None
    if not data:
        raise InvalidInput(_("The image is empty."))
    return content_type, data


def store_photo(session: Session, value: str, *, uploaded_by: int | None, work_order_id: int | None = None) -> Photo:
    content_type, data = decode_data_url(value)
    photo = Photo(
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=uploaded_by,
        work_order_id=work_order_id,
    )
    session.add(photo)
    session.flush()
    return photo
