"""The asset page a QR label opens, with the problem report form anyone on site may use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, OptionalUser, ensure_role
from facility.core.config import absolute_url
from facility.core.errors import FacilityError
from facility.core.models import STAFF_ROLES, User
from facility.core.params import ObjectId
from facility.core.router import client_address
from facility.core.web import form_savepoint, is_htmx, render
from facility.maintenance import assets
from facility.maintenance import service as work_orders
from facility.maintenance.exceptions import AssetNotFound
from facility.maintenance.photos import get_photo

router = APIRouter(include_in_schema=False)


def asset_url(code: str) -> str:
    """The asset's public page for its printed QR label, under FACILITY_BASE_URL."""
    return absolute_url(f"/a/{code}")


def _asset_context(request: Request, session: DbSession, viewer: User | None, code: str) -> dict[str, object]:
    asset = assets.get_asset_by_code(session, code)
    building, room, floor = assets.location(session, asset)
    context: dict[str, object] = {
        "asset": asset,
        "building": building,
        "room": room,
        "floor": floor,
        "qr": assets.qr_svg(asset_url(asset.code), scale=3),
        "sent": False,
        "error": None,
    }
    if getattr(viewer, "is_staff", False):
        context["parent"] = assets.parent(session, asset)
        context["children"] = assets.children(session, asset.id)  # type: ignore[arg-type]
        context["orders"] = work_orders.list_work_orders(
            session,
            viewer,
            asset=asset.id,
            open_only=True,
            limit=20,  # type: ignore[arg-type]
        )[0]
    return context


@router.get("/a/{code}")
def asset_page(request: Request, code: str, session: DbSession, viewer: OptionalUser) -> Response:
    """Public: what the asset is and where, and a short form to report a problem."""
    return render(request, "maintenance/asset.html", _asset_context(request, session, viewer, code))


@router.post("/a/{code}/report")
def report_problem(
    request: Request,
    code: str,
    session: DbSession,
    viewer: OptionalUser,
    description: Annotated[str, Form(max_length=1000)],
    reporter: Annotated[str, Form(max_length=100)] = "",
    contact: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    key = assets.source_key(client_address(request), request.app.state.secret_key)
    try:
        with form_savepoint(session):
            assets.report_problem(session, code, description=description, reporter=reporter, contact=contact, key=key)
    except AssetNotFound:
        raise
    except FacilityError as error:
        form = {"description": description, "reporter": reporter, "contact": contact}
        context = _asset_context(request, session, viewer, code) | {"error": error.message, "form": form}
        # htmx drops 4xx bodies, so the form with its message comes back as a 200 fragment.
        status = 200 if is_htmx(request) else error.status_code
        return render(request, "maintenance/asset.html", context, block="report", status_code=status)
    context = _asset_context(request, session, viewer, code) | {"sent": True}
    return render(request, "maintenance/asset.html", context, block="report")


@router.get("/maintenance/photos/{photo_id}")
def photo(photo_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    """Evidence photos and signatures, for staff only."""
    ensure_role(user, *STAFF_ROLES)
    row = get_photo(session, photo_id)
    return Response(row.data, media_type=row.content_type, headers={"Cache-Control": "private, max-age=86400"})
