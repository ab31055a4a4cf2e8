"""Evidence files: the photo limits (size, types) plus PDF, with the bytes checked, not the name.

A file claiming to be a PDF must start like one; a name or a content type alone is the sender's
word. Files arrive from a form (multipart) or from the API as a base64 data URL.
"""

from __future__ import annotations

import base64
import binascii

from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.maintenance.photos import MAX_PHOTO_BYTES

MAX_EVIDENCE_BYTES = MAX_PHOTO_BYTES
# What each accepted type's bytes begin with (WebP: "RIFF", four size bytes, then "WEBP").
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),
}


def sniff(data: bytes) -> str | None:
    """The accepted type these bytes are, by their first bytes; None if none."""
    for kind, starts in SIGNATURES.items():
        if data.startswith(starts) and (kind != "image/webp" or data[8:12] == b"WEBP"):
            return kind
    return None


def checked_upload(filename: str, content_type: str, data: bytes) -> str:
    """The file's real content type, or InvalidInput when it is empty, too large or not accepted."""
    if not data:
        raise InvalidInput(_("The file is empty."))
    if len(data) > MAX_EVIDENCE_BYTES:
        raise InvalidInput(_("The file is too large (4 MB at most)."))
    kind = sniff(data)
    if kind is None:
        raise InvalidInput(_("Evidence must be a PDF, JPEG, PNG or WebP file."))
    return kind


def decode_file(value: str) -> bytes:
    """The bytes of a base64 data URL of any type (the type is then sniffed from them)."""
    header, _comma, payload = value.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise InvalidInput(_("A file must be sent as a base64 data URL."))
    if len(payload) > MAX_EVIDENCE_BYTES * 4 // 3 + 4:
        raise InvalidInput(_("The file is too large (4 MB at most)."))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(_("The file data is not valid base64.")) from None
