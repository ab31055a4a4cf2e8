"""The catalogues: every string the code and templates use is translated, and loads from the .po files."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from facility.booking.models import WaitlistStatus
from facility.core import i18n
from facility.core.extract import extract_messages, is_key
from facility.core.i18n import DOMAINS, gettext, read_catalogue, translate
from facility.core.web import accepted_language
from facility.maintenance.kinds import AssetKind, InspectionStatus, PlanKind, Priority, WorkOrderSource, WorkOrderStatus
from facility.rooms.kinds import Layout, RoomCategory, RoomKind, RoomStatus

PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _catalogue(lang: str) -> dict[str, dict[str, str]]:
    """domain -> {id: translation} as written in the .po files (empty translations included)."""
    return {d: {str(m.id): str(m.string) for m in read_catalogue(lang, d) if m.id} for d in DOMAINS}


def test_every_extracted_message_has_korean_and_every_key_english() -> None:
    ko, en = i18n.translations("ko"), i18n.translations("en")
    missing = []
    for domain in DOMAINS:
        for message, where in extract_messages(domain).items():
            if message not in ko:
                missing.append(f"ko {message!r} ({where[0]})")
            if is_key(message) and message not in en:
                missing.append(f"en {message!r} ({where[0]})")
    assert not missing, "untranslated (run `python -m facility.core.extract`):\n" + "\n".join(missing)


def test_every_catalogue_entry_is_translated_in_both_languages() -> None:
    for lang in i18n.LANGUAGES:
        for domain, entries in _catalogue(lang).items():
            empty = [m for m, text in entries.items() if not text and (lang == "ko" or is_key(m))]
            assert not empty, f"{lang}/{domain}.po: {empty}"


def test_both_languages_hold_the_same_ids_and_no_id_is_translated_twice() -> None:
    ko, en = _catalogue("ko"), _catalogue("en")
    seen: dict[str, str] = {}
    for domain in DOMAINS:
        assert ko[domain].keys() == en[domain].keys(), domain
        for message in ko[domain]:
            assert message not in seen, f"{message!r} is in both {seen[message]} and {domain}"
            seen[message] = domain


def test_translations_keep_the_placeholders() -> None:
    for lang in i18n.LANGUAGES:
        for entries in _catalogue(lang).values():
            for message, text in entries.items():
                if text and not is_key(message):
                    assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(message)), (message, text)
    for entries in _catalogue("ko").values():
        for key in filter(is_key, entries):
            assert set(PLACEHOLDER.findall(translate(key, "ko"))) == set(PLACEHOLDER.findall(translate(key, "en")))


@pytest.mark.parametrize(
    ("prefix", "enum"),
    [
        ("kind.", RoomKind),
        ("status.", RoomStatus),
        ("layout.", Layout),
        ("category.", RoomCategory),
        ("asset.kind.", AssetKind),
        ("wo.status.", WorkOrderStatus),
        ("insp.status.", InspectionStatus),
        ("priority.", Priority),
        ("wo.source.", WorkOrderSource),
        ("plan.kind.", PlanKind),
        ("waitlist.status.", WaitlistStatus),
    ],
)
def test_every_value_shown_through_a_built_key_is_translated(prefix: str, enum: type[StrEnum]) -> None:
    # Templates build these keys (t("kind." ~ room.kind)), which extraction cannot see.
    for lang in i18n.LANGUAGES:
        missing = [v.value for v in enum if prefix + v.value not in i18n.translations(lang)]
        assert not missing, (lang, prefix, missing)


def test_gettext_translates_in_the_current_language_and_formats() -> None:
    assert translate("nav.rooms", "ko") == "시설 목록"
    assert translate("nav.rooms", "en") == "Rooms"
    token = i18n.current_language.set("en")
    try:
        assert gettext("Enter a valid e-mail address.") == "Enter a valid e-mail address."
    finally:
        i18n.current_language.reset(token)
    assert gettext("Enter a valid e-mail address.") == "올바른 이메일 주소를 입력하세요."
    assert gettext("A sentence nobody translated, {n}.", n=3) == "A sentence nobody translated, 3."


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("", "ko"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("fr-FR,fr;q=0.9,en;q=0.5,ko;q=0.4", "en"),
        ("de, ja", "ko"),
        ("en;q=0.2, ko;q=0.8", "ko"),
        ("en;q=0, fr", "ko"),
        ("en;q=abc, ko", "ko"),
    ],
)
def test_accept_language_picks_the_preferred_supported_language(header: str, lang: str) -> None:
    assert accepted_language(header) == lang


def test_every_dead_letter_reason_the_code_raises_has_a_label() -> None:
    # The dead-letters page shows t("deadletter.reason." ~ reason); reasons are literals in the code.
    root = Path(__file__).resolve().parents[2]
    sources = [*(root / "facility").rglob("*.py"), *(root / "gateway").rglob("*.py")]
    reasons = {r for f in sources for r in re.findall(r'Rejection\(\s*"([a-z_]+)"', f.read_text())}
    assert {"bad_json", "out_of_range", "no_profile"} <= reasons
    for lang in i18n.LANGUAGES:
        labels = i18n.translations(lang)
        missing = sorted(r for r in reasons | {"internal_error"} if f"deadletter.reason.{r}" not in labels)
        assert not missing, (lang, missing)
