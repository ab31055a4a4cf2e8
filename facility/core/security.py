"""Password hashing (Argon2) and signed bearer tokens."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()
# Verifying against this keeps the time of a sign-in for an unknown e-mail like a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="facility-api-token")


def issue_token(secret_key: str, user_id: int) -> str:
    return _serializer(secret_key).dumps({"uid": user_id})


def read_token(secret_key: str, token: str, max_age_seconds: int) -> int | None:
    """The user id in a valid, unexpired token, else None."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_seconds)
    except (BadSignature, SignatureExpired):
        return None
    uid = data.get("uid") if isinstance(data, dict) else None
    return uid if isinstance(uid, int) else None


def sign_value(secret_key: str, salt: str, value: str) -> str:
    """A stable secret derived from a value, for calendar feed URLs and QR check-in links."""
    return URLSafeTimedSerializer(secret_key, salt=salt).dumps(value)


def unsign_value(secret_key: str, salt: str, token: str) -> str | None:
    try:
        value = URLSafeTimedSerializer(secret_key, salt=salt).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None
