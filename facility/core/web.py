"""The web shell: one Jinja environment, whole pages or htmx fragments from the same template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from sqlalchemy import inspect
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from facility.core.auth import SESSION_USER_KEY, SESSION_VERSION_KEY, csrf_token
from facility.core.i18n import DEFAULT_LANGUAGE, LANG_COOKIE, LANGUAGES, gettext, translator
from facility.core.models import User
from facility.core.security import MIN_PASSWORD_LENGTH
from facility.core.wording import audit_action_label, audit_entity_label, day_label, recurrence_label

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))


@pass_context
def _day(context: Context, value: date | datetime | None, with_time: bool = False) -> str:
    """`{{ b.starts_at | day(true) }}`: 11월 30일 (월) 09:00, with the year when it is not this year."""
    if value is None:
        return ""
    zone = context["settings"].zone
    return day_label(value, context["lang"], zone, datetime.now(zone).date(), with_time=with_time)


@pass_context
def _recurrence(context: Context, rule: str | None) -> str:
    """`{{ plan.rrule | recurrence }}`: 매월 첫째 월요일 09:00."""
    return recurrence_label(rule, context["lang"]) if rule else ""


@pass_context
def _audit_action(context: Context, action: str) -> str:
    """`{{ e.action | audit_action }}`: 예약 · 승인."""
    return audit_action_label(action, context["lang"])


@pass_context
def _audit_entity(context: Context, entity: str) -> str:
    return audit_entity_label(entity, context["lang"])


templates.env.filters["day"] = _day
templates.env.filters["audit_action"] = _audit_action
templates.env.filters["audit_entity"] = pass_context(
    lambda context, entity: audit_entity_label(entity, context["lang"])
)
templates.env.filters["recurrence"] = _recurrence
# New template text may be an English sentence, `{{ _("Nothing to do today.") }}`, like the code's.
templates.env.globals["_"] = gettext
templates.env.globals["min_password_length"] = MIN_PASSWORD_LENGTH


@dataclass(frozen=True)
class NavItem:
    """One entry of the top navigation; each domain's pages module lists its own as `NAV`."""

    label_key: str
    href: str
    roles: frozenset[str] | None = None  # None: everyone, signed in or not
    order: int = 50


# The shell's own pages; the app factory puts every domain's NAV beside these.
NAV = (
    NavItem("nav.orgs", "/organizations", frozenset({"manager", "admin"}), order=80),
    NavItem("nav.audit", "/audit", frozenset({"manager", "admin"}), order=90),
)


def nav_for(request: Request, user: Any) -> list[NavItem]:
    """The entries this user may see, in order (the app factory sets `app.state.nav`)."""
    role = getattr(user, "role", None)
    items = [i for i in request.app.state.nav if i.roles is None or role in i.roles]
    return sorted(items, key=lambda i: i.order)


def request_language(request: Request) -> str:
    """?lang= first, then the language cookie (the header's switch), then Accept-Language; Korean otherwise."""
    for lang in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if lang in LANGUAGES:
            return lang
    return accepted_language(request.headers.get("accept-language", ""))


def accepted_language(header: str) -> str:
    """The supported language an Accept-Language header prefers (`en-US,en;q=0.9,ko;q=0.8` -> en)."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        # Equal weights keep the header's order: the first listed wins.
        q -= position / 1000
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


def local_time(request: Request, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in the campus time zone."""
    if value is None:
        return ""
    return value.astimezone(request.app.state.settings.zone).strftime(fmt)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def page_user(request: Request) -> Any:
    """The signed-in user for the page header, loaded once even on pages that do not need it."""
    current = getattr(request.state, "user", None)
    if current is not None and inspect(current).expired_attributes:
        # A failed request rolled its session back, expiring the row: load it afresh.
        del request.state.user
    if not hasattr(request.state, "user"):
        uid = request.session.get(SESSION_USER_KEY)
        user = None
        if uid is not None:
            with Session(request.app.state.engine) as session:
                user = session.get(User, uid)
        current = user is not None and user.active and user.session_version == request.session.get(SESSION_VERSION_KEY)
        request.state.user = user if current else None
    return request.state.user


FLASH_KEY = "flash"
# A session cookie carries the queued confirmations; a handful is all a redirect chain produces.
FLASH_LIMIT = 4


def flash(request: Request, message: str, level: str = "ok") -> None:
    """Queue a confirmation for the next page this browser renders (after a redirect, or now)."""
    queued = [*request.session.get(FLASH_KEY, []), [level, message[:300]]]
    request.session[FLASH_KEY] = queued[-FLASH_LIMIT:]


def _pop_flash(request: Request) -> list[tuple[str, str]]:
    if "session" not in request.scope or FLASH_KEY not in request.session:
        return []
    return [(level, message) for level, message in request.session.pop(FLASH_KEY)]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> Response:
    """Render the page, or only `block` when htmx asks for a fragment."""
    lang = request_language(request)
    user = page_user(request)
    base: dict[str, Any] = {
        "request": request,
        "user": user,
        "lang": lang,
        "t": translator(lang),
        "csrf": csrf_token(request),
        "local": lambda value, fmt="%Y-%m-%d %H:%M": local_time(request, value, fmt),
        "settings": request.app.state.settings,
        "nav": nav_for(request, user),
        "path": request.url.path,
        "toasts": _pop_flash(request),
    }
    base.update(context or {})
    if block and is_htmx(request):
        response = templates.TemplateResponse(request, template, base, block_name=block, status_code=status_code)
        if base["toasts"]:
            # The fragment carries its confirmations out of band, into the page's live region.
            oob = templates.get_template("toast.html").render({**base, "oob": True}).encode()
            response.body = bytes(response.body) + oob
            response.headers["content-length"] = str(len(response.body))
        return response
    return templates.TemplateResponse(request, template, base, status_code=status_code)


def form_savepoint(session: Session) -> SessionTransaction:
    """Run a form's service call under a savepoint: a failure undoes its writes and propagates.

    The page then re-renders the form with the message; only the request's unit of work commits
    or rolls back (`with form_savepoint(session): service.call(...)` inside the `try`).
    """
    return session.begin_nested()


def redirect(request: Request, url: str) -> Response:
    """Post/Redirect/Get; an htmx request gets HX-Redirect, since XHR would follow a 303 silently."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
