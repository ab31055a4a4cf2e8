"""Password hashing (Argon2), the password policy (zxcvbn's strength estimate), signed bearer tokens."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from zxcvbn import zxcvbn

_hasher = PasswordHasher()
# Verifying against this keeps the time of a sign-in for an unknown e-mail like a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# NIST SP 800-63B 5.1.1.2: at least 8, and we ask 10; no composition rules, no expiry. Guessable
# passwords (breached, common, keyboard walks, dates, the account's own words) are refused by
# zxcvbn's estimate: score 3 is "safely unguessable" against an online attack that is throttled.
MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input; its cost grows with the length, and 72 characters are past guessing.
_ZXCVBN_MAX_LENGTH = 72


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown account) it still spends one Argon2 verification."""
    try:
        matched = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def is_guessable_password(password: str, *context: str) -> bool:
    """True for a password zxcvbn scores below `MIN_PASSWORD_SCORE` (common, breached, a keyboard
    walk, a repetition), or one built from the account's own words (its e-mail's name, the
    person's or organisation's name)."""
    words = [word.strip().lower() for word in context if len(word.strip()) >= 4]
    if any(word in password.lower() for word in words):
        return True
    return zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=words)["score"] < MIN_PASSWORD_SCORE


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="facility-api-token")


def issue_token(secret_key: str, user_id: int, session_version: int = 0) -> str:
    """A bearer token; it stops working when the user's session version moves past this one."""
    return _serializer(secret_key).dumps({"uid": user_id, "sv": session_version})


def read_token(secret_key: str, token: str, max_age_seconds: int) -> tuple[int, int] | None:
    """The user id and session version in a valid, unexpired token, else None."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_seconds)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    uid, version = data.get("uid"), data.get("sv")
    return (uid, version) if isinstance(uid, int) and isinstance(version, int) else None


def sign_value(secret_key: str, salt: str, value: str) -> str:
    """A stable secret derived from a value, for calendar feed URLs and QR check-in links."""
    return URLSafeTimedSerializer(secret_key, salt=salt).dumps(value)


def unsign_value(secret_key: str, salt: str, token: str) -> str | None:
    try:
        value = URLSafeTimedSerializer(secret_key, salt=salt).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None
