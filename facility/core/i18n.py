"""Korean (default) and English text from the gettext catalogues in facility/locale.

Each domain has one catalogue per language, `facility/locale/<lang>/LC_MESSAGES/<domain>.po`.
A message id is either an English sentence (`_("Book at least one day ahead.")`) or, for the
pages' short labels, a dotted key (`t("nav.rooms")`) whose English text is in the `en` catalogue.
The catalogues are read from the .po files at first use: no compile step, no registration.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
LANG_COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# One catalogue per domain, so each domain's strings are merged and reviewed on their own.
DOMAINS = ("core", "rooms", "booking", "sensors", "maintenance", "energy", "imports")

# The language of the request (or job) being served; the app's middleware sets it per request.
current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def catalogue_path(lang: str, domain: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalogue(lang: str, domain: str) -> Catalog:
    """One domain's catalogue in one language, as Babel reads it."""
    with catalogue_path(lang, domain).open("rb") as file:
        return read_po(file, locale=lang, domain=domain)


@cache
def translations(lang: str) -> dict[str, str]:
    """Every translated message of a language, all domains together (read once per process)."""
    merged: dict[str, str] = {}
    for domain in DOMAINS:
        for message in read_catalogue(lang, domain):
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                merged[message.id] = str(message.string)
    return merged


def load_catalogues() -> None:
    """Read every catalogue now, so a broken .po stops the start instead of a request."""
    for lang in LANGUAGES:
        translations(lang)


def translate(message: str, lang: str) -> str:
    """The message in `lang`; an English message id stands for itself until it is translated."""
    return translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(message, message)


def gettext(message: str, /, **params: object) -> str:
    """A user-visible sentence in the current language: `_("{n} people exceed {cap}.", n=3, cap=2)`.

    The English text is the message id; the Korean catalogue translates it. A sentence missing
    from the catalogue is shown as written, and tests/core/test_i18n_catalogue.py fails on it.
    """
    text = translate(message, current_language.get())
    return text.format(**params) if params else text


def label(key: str) -> str:
    """A label built from a value (`label(f"bstatus.{booking.status}")`) in the current language."""
    return translate(key, current_language.get())


def gettext_noop(message: str) -> str:
    """Marks a message id written where it is not yet translated (a table of messages): `N_("...")`."""
    return message


def translator(lang: str) -> Callable[[str], str]:
    return lambda key: translate(key, lang)
