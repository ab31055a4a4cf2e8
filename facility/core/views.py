"""Pages of the shell: sign-in, renter sign-up, language, organisation approval, audit log, outbox."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import FileResponse, Response

from facility.core import accounts, audit, outbox, password_links
from facility.core.auth import CurrentUser, DbSession, OptionalUser, ensure_role, start_session
from facility.core.errors import FacilityError
from facility.core.i18n import LANG_COOKIE, LANGUAGES, translate
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, OrgKind, OrgStatus
from facility.core.params import ObjectId
from facility.core.router import client_address
from facility.core.signin import known_device, remember_device, sign_in
from facility.core.signin import sign_up as signup_edge
from facility.core.web import flash, redirect, render, request_language

router = APIRouter(include_in_schema=False)
AUDIT_PAGE_SIZE = 50
FAVICON = FilePath(__file__).resolve().parent.parent / "static" / "favicon.ico"


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in page cannot be used as an open redirect."""
    # A browser reads "/\\host" as "//host" too.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "core/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = sign_in(session, email, password, client_address(request), known_device(request, email))
    except FacilityError as error:
        message = translate("login.failed", request_language(request)) if error.status_code == 401 else error.message
        context = {"next": _safe_next(next), "error": message, "email": email}
        response = render(request, "core/login.html", context, status_code=error.status_code)
        response.headers.update(error.headers)
        return response
    start_session(request, user)
    response = redirect(request, _safe_next(next))
    remember_device(request, response, user)
    return response


@router.get("/password-reset")
def password_forgot_page(request: Request) -> Response:
    return render(request, "core/password_forgot.html", {"error": None})


@router.post("/password-reset")
def password_forgot(request: Request, session: DbSession, email: Annotated[str, Form(max_length=254)]) -> Response:
    """The same notice for any address (see password_links.request_reset)."""
    try:
        password_links.request_reset(session, email)
    except FacilityError as error:
        context = {"error": error.message, "email": email}
        response = render(request, "core/password_forgot.html", context, status_code=error.status_code)
        response.headers.update(error.headers)
        return response
    flash(request, password_links.reset_notice())
    return redirect(request, "/login")


@router.get("/password-reset/{token}")
def password_reset_page(request: Request, token: Annotated[str, Path(max_length=100)]) -> Response:
    return render(request, "core/password_reset.html", {"token": token, "error": None})


@router.post("/password-reset/{token}")
def password_reset(
    request: Request,
    session: DbSession,
    token: Annotated[str, Path(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        password_links.redeem(session, token, password)
    except FacilityError as error:
        context = {"token": token, "error": error.message}
        return render(request, "core/password_reset.html", context, status_code=error.status_code)
    request.session.clear()
    flash(request, _("Your password is set. Sign in with it."))
    return redirect(request, "/login")


@router.get("/account/password")
def change_password_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "core/password_change.html", {"error": None})


@router.post("/account/password")
def change_password(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    current_password: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """Every other session of the account ends; this browser's starts afresh."""
    try:
        accounts.change_password(session, user, current_password, password)
    except FacilityError as error:
        response = render(request, "core/password_change.html", {"error": error.message}, status_code=error.status_code)
        response.headers.update(error.headers)
        return response
    start_session(request, user)
    flash(request, _("Your password is changed. Other browsers and apps signed in to your account are signed out."))
    return redirect(request, "/")


@router.post("/logout")
def logout(request: Request, session: DbSession, user: OptionalUser) -> Response:
    """Sign out here and everywhere else this account is signed in (see docs/security.md)."""
    if user is not None:
        accounts.sign_out(session, user)
    request.session.clear()
    return redirect(request, "/login")


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    response = redirect(request, _safe_next(next))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every page; a 404 there fills logs and audits."""
    return FileResponse(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=604800"})


# Where a sign-up refusal is shown, by its code; anything else goes in the summary on top.
SIGNUP_ERROR_FIELDS = {
    "consent_required": "accept_privacy",
    "weak_password": "password",
    "invalid_email": "email",
    "org_taken": "business_number",
    "business_number_invalid": "business_number",
}


def _signup_context(form: dict[str, str], errors: dict[str, str]) -> dict[str, object]:
    return {
        "kinds": list(OrgKind),
        "form": form,
        "errors": errors,
        "terms_version": accounts.TERMS_VERSION,
        "privacy_version": accounts.PRIVACY_VERSION,
    }


@router.get("/signup")
def signup_page(request: Request) -> Response:
    return render(request, "core/signup.html", _signup_context({}, {}))


@router.post("/signup")
def signup(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    full_name: Annotated[str, Form(max_length=100)],
    org_name: Annotated[str, Form(max_length=200)],
    org_kind: Annotated[OrgKind, Form()] = OrgKind.private,
    business_number: Annotated[str, Form(max_length=20)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    accept_terms: Annotated[bool, Form()] = False,
    accept_privacy: Annotated[bool, Form()] = False,
) -> Response:
    form = {
        "email": email,
        "full_name": full_name,
        "org_name": org_name,
        "org_kind": org_kind.value,
        "business_number": business_number,
        "contact_phone": contact_phone,
    }
    try:
        notice = signup_edge(
            session,
            client_address(request),
            email=email,
            password=password,
            full_name=full_name,
            org_name=org_name,
            business_number=business_number or None,
            org_kind=org_kind,
            contact_phone=contact_phone,
            accept_terms=accept_terms,
            accept_privacy=accept_privacy,
        )
    except FacilityError as error:
        form.update(accept_terms="1" if accept_terms else "", accept_privacy="1" if accept_privacy else "")
        errors = {SIGNUP_ERROR_FIELDS.get(error.code, ""): error.message}
        response = render(request, "core/signup.html", _signup_context(form, errors), status_code=error.status_code)
        response.headers.update(error.headers)
        return response
    # The same page for a new address and a known one: the e-mail tells its owner which it was.
    flash(request, notice)
    return redirect(request, "/login")


@router.get("/organizations")
def organizations_page(request: Request, session: DbSession, user: CurrentUser, status: str = "pending") -> Response:
    chosen = OrgStatus(status) if status in OrgStatus.__members__ else None
    orgs = accounts.list_organizations(session, user, status=chosen)
    return render(
        request,
        "core/organizations.html",
        {"orgs": orgs, "status": status, "statuses": list(OrgStatus)},
        block="org_list",
    )


@router.post("/organizations/{org_id}/decision")
def decide_organization(
    request: Request,
    org_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    approve: Annotated[bool, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    org = accounts.decide_organization(session, user, org_id, approve=approve, reason=reason)
    flash(request, _("Approved: {name}", name=org.name) if approve else _("Rejected: {name}", name=org.name))
    return render(request, "core/organizations.html", {"org": org}, block="org_row")


@router.get("/audit")
def audit_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    entity: Annotated[str, Query(max_length=60)] = "",
    action: Annotated[str, Query(max_length=80)] = "",
    actor: Annotated[str, Query(max_length=254)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    rows, total = audit.list_entries(
        session,
        user,
        entity=entity or None,
        action=action or None,
        actor_label=actor or None,
        limit=AUDIT_PAGE_SIZE,
        offset=(page - 1) * AUDIT_PAGE_SIZE,
    )
    context = {
        "entries": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // AUDIT_PAGE_SIZE)),
        "filters": {"entity": entity, "action": action, "actor": actor},
    }
    return render(request, "core/audit.html", context, block="entries")


@router.get("/manage/outbox")
def outbox_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """Every queued notification, newest first (in the demo, instead of sending it)."""
    ensure_role(user, *MANAGING_ROLES)
    return render(request, "core/outbox.html", {"messages": outbox.recent_messages(session)})
