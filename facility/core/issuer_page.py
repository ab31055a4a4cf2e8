"""The institution's issuer details (FACILITY_INSTITUTION_*), read-only for admins: what each
permit, invoice, receipt and tax invoice prints, what is missing, and where to change it. They are
settings, read once at start (one validated tree per process), so the page says how, not a form."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from facility.core.auth import CurrentUser, ensure_role
from facility.core.i18n import gettext_noop as N_
from facility.core.models import Role
from facility.core.web import render

router = APIRouter(include_in_schema=False)
ENV_FILE = "/etc/facility/facility.env"


@dataclass(frozen=True)
class IssuerField:
    """One FACILITY_INSTITUTION_* setting: its label, where it is printed and what unset means."""

    name: str
    label: str
    used_on: str
    when_unset: str


FIELDS = (
    IssuerField(
        "name",
        N_("Issuer"),
        N_("Permits, invoices, receipts, tax invoices, the open-data feed"),
        N_("The application's own name is printed."),
    ),
    IssuerField(
        "business_number",
        N_("Business registration number"),
        N_("Permits, invoices, tax invoices"),
        N_("Left off the documents; tax invoices are refused."),
    ),
    IssuerField("representative", N_("Representative"), N_("Permits, tax invoices"), N_("Left off.")),
    IssuerField("address", N_("Address"), N_("Documents, the open-data feed"), N_("Left off.")),
    IssuerField("email", N_("E-mail"), N_("Tax invoices"), N_("Left off.")),
    IssuerField(
        "bank_account",
        N_("Bank account for payments"),
        N_("Invoices, receipts"),
        N_("The invoice tells renters to ask the rental office."),
    ),
    IssuerField(
        "seal_image",
        N_("Seal image (직인)"),
        N_("The use permit"),
        N_("The permit prints the issuer's name without a seal."),
    ),
    IssuerField("url", N_("Web address"), N_("The open-data feed, set-password links"), N_("Left off.")),
    IssuerField("latitude", N_("Latitude"), N_("The open-data feed"), N_("Left off.")),
    IssuerField("longitude", N_("Longitude"), N_("The open-data feed"), N_("Left off.")),
)


@router.get("/admin/institution")
def issuer_page(request: Request, user: CurrentUser) -> Response:
    """Each issuer setting as this server runs with it, or what the documents do without it."""
    ensure_role(user, Role.admin)
    issuer = request.app.state.settings.institution
    values = {f.name: getattr(issuer, f.name) for f in FIELDS}
    shown = {name: "" if value is None else str(value) for name, value in values.items()}
    context = {"fields": FIELDS, "shown": shown, "env_file": ENV_FILE}
    return render(request, "core/institution.html", context)
