"""FastAPI's validation errors (pydantic's) in the request's language; the error `type` stays as is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_

# Pydantic's error types and their English, with the names its `ctx` fills in. Their Korean is
# in the core catalogue; a type not listed here reads "The value is not valid."
MESSAGES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("Should have at least {min_length} characters"),
    "string_too_long": N_("Should have at most {max_length} characters"),
    "string_pattern_mismatch": N_("Should match the pattern {pattern}"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number"),
    "decimal_parsing": N_("Input should be a valid number"),
    "bool_type": N_("Input should be true or false"),
    "bool_parsing": N_("Input should be true or false"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "too_short": N_("Should have at least {min_length} items"),
    "too_long": N_("Should have at most {max_length} items"),
    "list_type": N_("Input should be a list"),
    "dict_type": N_("Input should be an object"),
    "model_type": N_("Input should be an object"),
    "model_attributes_type": N_("Input should be an object"),
    "json_invalid": N_("The request body is not valid JSON"),
    "json_type": N_("The request body is not valid JSON"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "date_type": N_("Input should be a date (YYYY-MM-DD)"),
    "date_parsing": N_("Input should be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("Input should be a date (YYYY-MM-DD)"),
    "datetime_type": N_("Input should be a date and time (YYYY-MM-DDTHH:MM)"),
    "datetime_parsing": N_("Input should be a date and time (YYYY-MM-DDTHH:MM)"),
    "datetime_from_date_parsing": N_("Input should be a date and time (YYYY-MM-DDTHH:MM)"),
    "time_parsing": N_("Input should be a time (HH:MM)"),
    "time_type": N_("Input should be a time (HH:MM)"),
    "timezone_aware": N_("Input should include a time zone"),
    "uuid_parsing": N_("Input should be a valid UUID"),
    "url_parsing": N_("Input should be a valid URL"),
}
# A validator's own sentence (a ValueError raised with `_()`), shown without pydantic's prefix.
OWN_SENTENCE = frozenset({"value_error", "assertion_error"})
MAX_SHOWN = 5
LOCATION_ROOTS = ("body", "query", "path", "header", "cookie")


def error_text(error: Mapping[str, Any]) -> str:
    """One pydantic error in the current language."""
    kind = str(error.get("type"))
    ctx = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    if kind in OWN_SENTENCE and ctx.get("error"):
        return ctx["error"]
    if "expected" in ctx:
        # pydantic words the choices in English ("'a', 'b' or 'c'"); a list reads in any language.
        ctx["expected"] = ctx["expected"].replace("' or '", "', '")
    message = MESSAGES.get(kind)
    if message is None:
        return _("The value is not valid.")
    try:
        return _(message, **ctx)
    except (KeyError, IndexError):
        return _("The value is not valid.")


def field_path(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part not in LOCATION_ROOTS)


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """`입력값이 올바르지 않습니다 — title: 필수 항목입니다` for the first few errors."""
    parts = []
    for error in errors[:MAX_SHOWN]:
        where = field_path(error)
        parts.append(f"{where}: {error_text(error)}" if where else error_text(error))
    return _("Invalid input — {errors}", errors="; ".join(parts))


def translated_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The `errors` list of the 422 body: location and type as pydantic gives them, the text translated."""
    return [{"loc": list(e.get("loc", ())), "msg": error_text(e), "type": e.get("type")} for e in errors]
