"""Extract every message id from the code and templates into the domains' catalogues.

`python -m facility.core.extract` adds the message ids found since the last run to both
languages' .po files (empty, to be translated) and lists what still needs a translation. The
catalogue test runs the same extraction, so a string written without its Korean fails CI.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import write_po

from facility.core.i18n import DOMAINS, LANGUAGES, catalogue_path, read_catalogue

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE_DIR / "templates"
# Python code translates with `_` (gettext imported as _), `gettext`, `translate(key, lang)` and
# marks messages kept for later with `N_` (gettext_noop);
# templates with `t("key")` and `_("English")`.
PYTHON_KEYWORDS: dict[str, None] = {"_": None, "gettext": None, "N_": None, "translate": None}
TEMPLATE_KEYWORDS: dict[str, None] = {"_": None, "gettext": None, "t": None}
# A page label's id is a dotted key ("nav.rooms"); anything else is an English sentence.
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def is_key(message_id: str) -> bool:
    """A dotted label key needs its English in the `en` catalogue; a sentence is its own English."""
    return bool(KEY.match(message_id))


def domain_sources(domain: str) -> Iterator[Path]:
    """The files whose strings belong to `domain`'s catalogue."""
    if domain == "core":
        yield from sorted(PACKAGE_DIR.glob("*.py"))
        yield from sorted((PACKAGE_DIR / "core").rglob("*.py"))
        yield from sorted((PACKAGE_DIR / "demo").rglob("*.py"))
        yield from sorted(TEMPLATES.glob("*.html"))
        yield from sorted((TEMPLATES / "core").rglob("*.html"))
        return
    yield from sorted((PACKAGE_DIR / domain).rglob("*.py"))
    yield from sorted((TEMPLATES / domain).rglob("*.html"))


def extract_messages(domain: str) -> dict[str, list[str]]:
    """Every message id written in `domain`'s code and templates, with where it is used."""
    found: dict[str, list[str]] = {}
    for path in domain_sources(domain):
        if path.suffix == ".py":
            method, keywords = "python", PYTHON_KEYWORDS
        else:
            method, keywords = "jinja2.ext:babel_extract", TEMPLATE_KEYWORDS
        for lineno, message, _comments, _context in extract_from_file(
            method, str(path), keywords=keywords, comment_tags=(), strip_comment_tags=True
        ):
            if isinstance(message, tuple):  # a plural form: the singular is the id
                message = message[0]
            if message:
                found.setdefault(message, []).append(f"{path.relative_to(PACKAGE_DIR.parent)}:{lineno}")
    return found


def write_catalogue(catalogue: Catalog, path: Path) -> None:
    """Sorted by message id, without locations: two branches adding strings rarely touch the same lines."""
    catalogue.fuzzy = False
    with path.open("wb") as file:
        write_po(file, catalogue, width=0, no_location=True, sort_output=True)


def untranslated(lang: str, catalogues: dict[str, Catalog]) -> list[str]:
    """`domain: id` of every message `lang` shows untranslated (English sentences need no `en` text)."""
    return [
        f"{domain}: {message.id}"
        for domain, catalogue in catalogues.items()
        for message in catalogue
        if message.id and not message.string and (lang == "ko" or is_key(str(message.id)))
    ]


def update_catalogues() -> dict[str, list[str]]:
    """Add newly written message ids to both languages; return, per language, what lacks a translation."""
    missing: dict[str, list[str]] = {}
    found = {domain: extract_messages(domain) for domain in DOMAINS}
    for lang in LANGUAGES:
        catalogues = {domain: read_catalogue(lang, domain) for domain in DOMAINS}
        known = {message.id for catalogue in catalogues.values() for message in catalogue}
        for domain, messages in found.items():
            # A label another domain already holds (booking's pages use rooms' "kind.*") stays there.
            for message_id in messages.keys() - known:
                catalogues[domain].add(message_id, "")
                known.add(message_id)
            write_catalogue(catalogues[domain], catalogue_path(lang, domain))
        missing[lang] = untranslated(lang, catalogues)
    return missing


def main() -> int:
    missing = update_catalogues()
    for lang, entries in missing.items():
        for entry in entries:
            print(f"{lang} untranslated  {entry}")
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
