"""docs/roles.md is the route x role matrix; this test calls every API operation (from the OpenAPI
schema), every page (GET) and every page form post as each role and holds the app to the document.

One database: who may call what is decided in Python (the route's dependencies and the services'
`ensure_role` and ownership checks) before any dialect-specific SQL, so SQLite and PostgreSQL give
the same matrix; the data-level guarantees have their own tests on both.

`ROLES_MATRIX_PRINT=1` prints the observed table, to paste into docs/roles.md after review.
"""

from __future__ import annotations

import base64
import json
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlmodel import Session

from facility import app as app_module
from facility.booking.models import FeeSchedule
from facility.core import accounts, password_links, throttle
from facility.core.auth import SESSION_USER_KEY, SESSION_VERSION_KEY
from facility.core.models import Role, User
from facility.core.security import issue_token
from facility.maintenance.models import WorkOrder
from facility.rooms.models import Building
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_organization, make_room, make_user
from tests.keys import TEST_SECRET_KEY
from tests.maintenance.factories import make_asset, make_inspection
from tests.sensors.factories import make_device

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
ROLES = ("anonymous", "other renter", "crew", "manager", "admin")
DENIED = {"401", "403", "404"}
# Operations whose documented cell the code does not meet yet, each with who fixes it.
PENDING: dict[tuple[str, str, str], str] = {}
UNKNOWN_ID = 999_999
CSRF = "matrix"
# The smallest JPEG a photo field is sent (a page that checks the image still says 422, a rule).
PHOTO = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
FORM_VALUES = {"title": "역할 점검", "attendees": "5", "until": "2030-01-01T09:00"}
LOGOUTS = {("POST", "/api/v1/auth/logout"), ("POST", "/logout")}


def _documented() -> dict[tuple[str, str], dict[str, str]]:
    """(method, path) -> role -> expected cell, from the tables of docs/roles.md."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(ROLES) and cells[0] in {"GET", "POST", "PATCH", "PUT", "DELETE"}:
            rows[(cells[0], cells[1])] = dict(zip(ROLES, cells[2:], strict=True))
    return rows


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


class World:
    """One of everything, owned by organisation A, and a user per role (renter B is 'other renter')."""

    def __init__(self, session: Session, client: TestClient, app: FastAPI) -> None:
        self.app, self.client, self.session = app, client, session
        self.day = next_weekday(days_ahead=10)
        self.room = make_room(session, kind="lecture_room", capacity=40)
        session.add(FeeSchedule(room_id=self.room.id, hourly=50_000))  # so approval issues an invoice
        session.commit()
        self.asset = make_asset(session, room=self.room)
        self.device = make_device(session, room=self.room)
        self.building_code = session.get(Building, self.room.building_id).code  # type: ignore[union-attr]
        self.renewals = 0
        self.inspection = make_inspection(session)
        org_a = make_organization(session, name="기관 A")
        self.renter_a = make_user(session, role=Role.renter, organization=org_a)
        self.users: dict[str, User | None] = {
            "anonymous": None,
            "other renter": make_user(session, role=Role.renter),
            "crew": make_user(session, role=Role.crew),
            "manager": make_user(session, role=Role.manager),
            "admin": make_user(session, role=Role.admin),
        }
        manager = self.headers("manager")
        self.org_id = org_a.id
        booking = self._create("/api/v1/bookings", self.renter_a, self._slot(10, 12, title="A의 강의"))
        self.booking_id = booking["id"]
        self.client.post(f"/api/v1/bookings/{self.booking_id}/approve", headers=manager)
        self.invoice_id = self.client.get("/api/v1/invoices", headers=manager).json()[0]["id"]
        series = self._slot(16, 17, title="A의 연속 강의", rrule="FREQ=WEEKLY;COUNT=2")
        self.series_id = self._create("/api/v1/series", self.renter_a, series)["series"]["id"]
        placed = self._create("/api/v1/blocks", self.users["manager"], self._slot(14, 15, reason="연수"))
        self.block_id = placed["block"]["id"]
        self.entry_id = self._create("/api/v1/waitlist", self.renter_a, self._slot(10, 12, title="대기"))["id"]
        self.order_id = self._create("/api/v1/work-orders", self.users["manager"], {"title": "조명"})["id"]

    def _slot(self, start: int, end: int, *, days_later: int = 0, **extra: object) -> dict[str, object]:
        day = self.day + timedelta(days=days_later)
        times = {"start": seoul(day, start).isoformat(), "end": seoul(day, end).isoformat()}
        return {"room_id": self.room.id, **times, **extra}

    def _create(self, path: str, user: User | None, body: dict[str, object]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self._token(user))
        assert response.status_code == 201, (path, response.text)
        return dict(response.json())

    def _token(self, user: User | None) -> dict[str, str]:
        if user is None:
            return {}
        return {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id, user.session_version)}"}  # type: ignore[arg-type]

    def renew(self, path: str) -> None:
        """A fresh block or waitlist entry before each role's removal of one, so each meets one."""
        if "{block_id}" not in path and "{entry_id}" not in path:
            return
        self.renewals += 1
        # An hour each, twelve a day from 08:00, from the day after the world's own bookings.
        hour, days_later = 8 + self.renewals % 12, 1 + self.renewals // 12
        if "{block_id}" in path:
            body = self._slot(hour, hour + 1, days_later=days_later, reason="연수")
            self.block_id = self._create("/api/v1/blocks", self.users["manager"], body)["block"]["id"]
        else:
            # A slot of its own: an organisation waits for one slot once (uq_waitlist_live_slot).
            body = self._slot(hour, hour + 1, days_later=days_later, title=f"대기 {hour}")
            self.entry_id = self._create("/api/v1/waitlist", self.renter_a, body)["id"]

    def release(self, path: str) -> None:
        """After a claim, the work order is nobody's again, so each role meets (and leaves) it open."""
        if not path.endswith("/claim"):
            return
        self.session.rollback()
        order = self.session.get(WorkOrder, self.order_id)
        assert order is not None
        order.assignee_id, order.status = None, "open"
        self.session.add(order)
        self.session.commit()

    def headers(self, role: str) -> dict[str, str]:
        return self._token(self.users[role])

    def path_value(self, name: str) -> object:
        values = {
            "room_id": self.room.id,
            "booking_id": self.booking_id,
            "series_id": self.series_id,
            "code": self.asset.code,
            "invoice_id": self.invoice_id,
            "block_id": self.block_id,
            "entry_id": self.entry_id,
            "org_id": self.org_id,
            "order_id": self.order_id,
            "inspection_id": self.inspection.id,
            "device_id": self.device.id,
            "asset_id": self.asset.id,
            "action": "start",  # the work-order timer's
            "user_id": self.renter_a.id,
        }
        return values.get(name, UNKNOWN_ID)

    def sample(self, spec: dict[str, Any], schema: dict[str, Any], name: str = "") -> Any:
        """A value the schema accepts, shaped like a real request where the name says what it is."""
        schema = _resolve(spec, schema)
        if name in ("start", "starts_at"):
            return seoul(self.day + timedelta(days=7), 9).isoformat()
        if name in ("end", "ends_at"):
            return seoul(self.day + timedelta(days=7), 11).isoformat()
        if name.endswith("_id") and name != "submission_id":
            return self.path_value(name)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if o.get("type") != "null"]
                return self.sample(spec, options[0], name)
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None and schema.get("type") != "object":
            return schema["default"]
        kind = schema.get("type")
        if kind == "object":
            required = schema.get("required", [])
            properties = schema.get("properties", {})
            return {key: self.sample(spec, properties[key], key) for key in required}
        if kind == "array":
            return [self.sample(spec, schema.get("items", {}))] if schema.get("minItems") else []
        if kind == "integer":
            return max(1, int(schema.get("minimum", schema.get("exclusiveMinimum", 0)) + 1))
        if kind == "number":
            return 1
        if kind == "boolean":
            return True
        if schema.get("format") == "date":
            return (date.today() + timedelta(days=1)).isoformat()
        if schema.get("format") == "date-time":
            return seoul(self.day, 9).isoformat()
        if schema.get("format") == "email" or name in ("email", "username"):
            return "matrix@example.kr"
        if name == "rrule":
            return "FREQ=WEEKLY;COUNT=2"
        if "pattern" in schema and name == "submission_id":
            return "matrix-0001"
        return "x" * max(int(schema.get("minLength", 1)), 12)


def _api_call(world: World, spec: dict[str, Any], method: str, path: str, role: str) -> str:
    operation = spec["paths"][path][method.lower()]
    url = re.sub(r"\{(\w+)\}", lambda m: str(world.path_value(m.group(1))), path)
    query = {
        p["name"]: world.sample(spec, p.get("schema", {}), p["name"])
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    kwargs: dict[str, Any] = {"params": query, "headers": world.headers(role)}
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        kwargs["json"] = world.sample(spec, content["application/json"]["schema"])
    elif "application/x-www-form-urlencoded" in content:
        kwargs["data"] = world.sample(spec, content["application/x-www-form-urlencoded"]["schema"])
    return _outcome(world.client.request(method, url, **kwargs).status_code)


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route, through included routers too."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found += [(method, prefix + route.path) for method in sorted(route.methods)]
        elif hasattr(route, "original_router"):
            found += _routes(route.original_router.routes, prefix + route.include_context.prefix)
    return found


def _page_routes(api: list[tuple[str, str]], methods: frozenset[str] = frozenset({"GET"})) -> list[tuple[str, str]]:
    """Every route the OpenAPI schema leaves out with one of these methods: the pages (GET) or
    their form posts."""
    every = {r for router in app_module.ROUTERS for r in _routes(router.routes)}
    return sorted(r for r in every - set(api) if r[0] in methods)


def _api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """(full path, route) of every route, through included routers too."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes, prefix + route.include_context.prefix)
    return found


def _form_specs() -> dict[str, dict[str, Any]]:
    """Per page path, the OpenAPI description it would have: its form fields, to fill posts in."""
    specs = {}
    for path, route in _api_routes([r for router in app_module.ROUTERS for r in router.routes]):
        if route.include_in_schema or not route.methods - {"GET"}:
            continue
        route.include_in_schema = True
        try:
            spec = get_openapi(title="page", version="0", routes=[route])
        finally:
            route.include_in_schema = False
        spec["paths"] = {path: next(iter(spec["paths"].values()))}  # the path with its prefix
        specs[path] = spec
    return specs


def _browser(app: FastAPI, user: User | None) -> TestClient:
    """A browser with the session the sign-in page would give the user (without Argon2's cost);
    an anonymous one has the CSRF token a first page view would have given it."""
    browser = TestClient(app)
    data: dict[str, object] = {"csrf": CSRF}
    if user is not None:
        data |= {SESSION_USER_KEY: user.id, SESSION_VERSION_KEY: user.session_version}
    payload = base64.b64encode(json.dumps(data).encode())
    browser.cookies.set("facility_session", TimestampSigner(app.state.secret_key).sign(payload).decode())
    return browser


def _url(world: World, path: str) -> str:
    url = re.sub(r"\{(\w+)\}", lambda m: str(world.path_value(m.group(1))), path)
    if path.startswith(("/book/buildings/", "/maintenance/assets/labels")):
        url = url.replace(str(world.asset.code), world.building_code)
    return url


def _page_call(world: World, browser: TestClient, path: str) -> str:
    params = {"building": world.building_code} if path == "/maintenance/assets/labels" else {}
    response = browser.get(_url(world, path), params=params, follow_redirects=False)
    return _outcome(response.status_code, response.headers.get("location", ""))


def _is_file(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        return _is_file(spec, schema.get("items", {}))
    if "anyOf" in schema:  # an optional file
        return any(_is_file(spec, option) for option in schema["anyOf"])
    return schema.get("format") == "binary" or "contentMediaType" in schema


def _form_call(world: World, browser: TestClient, specs: dict[str, dict[str, Any]], method: str, path: str) -> str:
    """Post the form with its fields filled in (files as files) and the session's CSRF token."""
    spec = specs.get(path, {"paths": {}})
    operation = spec["paths"].get(path, {}).get(method.lower(), {})
    fields: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for kind, content in operation.get("requestBody", {}).get("content", {}).items():
        schema = _resolve(spec, content["schema"])
        properties = schema.get("properties", {})
        # Every field, not only the required ones: a form missing one it checks itself would
        # answer 422 before its role check.
        for name in properties:
            if _is_file(spec, properties[name]):
                files[name] = ("matrix.jpg", PHOTO, "image/jpeg")
            elif kind.endswith(("form-urlencoded", "form-data")):
                fields[name] = world.sample(spec, properties[name], name)
    if "day" in fields:  # a page's slot is a local day and times, as its form fields are
        fields |= {"day": (world.day + timedelta(days=7)).isoformat(), "start": "09:00", "end": "11:00"}
    if path == "/maintenance/work-orders":
        # Opened unassigned, as the crew's form (which has no assignee field) sends it; naming an
        # assignee is a manager's, probed at `/assign` (and crew's forged one in test_api.py).
        fields["assignee_id"] = ""
    # What a person fills in where the form's default is empty.
    fields |= {name: value for name, value in FORM_VALUES.items() if fields.get(name) == ""}
    world.renew(path)
    response = browser.request(
        method,
        _url(world, path),
        data={**fields, "csrf_token": CSRF},
        files=files or None,
        headers={"X-CSRF-Token": CSRF},
        follow_redirects=False,
    )
    return _outcome(response.status_code, response.headers.get("location", ""))


def _outcome(status: int, location: str = "") -> str:
    """`ok`, a refusal's status, or `login` for a page that sends the visitor to sign in."""
    if status in (302, 303) and location.startswith("/login"):
        return "login"
    return str(status) if str(status) in DENIED else "ok"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_route_as_every_role(
    client: TestClient, session: Session, app: FastAPI, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every sign-in form and token request tries the same sample e-mail from one address: past the
    # free attempts the throttle asked for a second's wait, so the roles' sign-ins met its 429 (or
    # on a fast run all of them did) instead of the wrong password's 401. The throttle has tests
    # of its own (tests/core/test_sign_in.py).
    monkeypatch.setattr(accounts, "ACCOUNT_BUDGET", throttle.Budget(free_attempts=1000))
    monkeypatch.setattr(accounts, "ADDRESS_BUDGET", throttle.Budget(free_attempts=1000))
    monkeypatch.setattr(password_links, "REQUEST_BUDGET", throttle.Budget(free_attempts=1000))
    world = World(session, client, app)
    spec = app.openapi()
    documented = _documented()
    api = [(m.upper(), p) for p, item in spec["paths"].items() for m in item]
    forms = _page_routes(api, frozenset({"POST", "PUT", "PATCH", "DELETE"}))
    page_spec = _form_specs()
    # Pages, then API reads, writes and deletions, then page form posts, and signing out (it
    # revokes the sessions and tokens) last, so an allowed role's change disturbs little after it.
    order = {"GET": 0, "PATCH": 1, "POST": 1, "PUT": 1, "DELETE": 2}
    api.sort(key=lambda op: order[op[0]])
    observed: dict[tuple[str, str], dict[str, str]] = {}
    browsers = {role: _browser(app, world.users[role]) for role in ROLES}
    for method, path in _page_routes(api):
        observed[(method, path)] = {role: _page_call(world, browsers[role], path) for role in ROLES}
    for method, path in [op for op in api if op not in LOGOUTS]:
        outcomes = {}
        for role in ROLES:
            if method == "DELETE":
                world.renew(path)
            outcomes[role] = _api_call(world, spec, method, path, role)
            world.release(path)
        observed[(method, path)] = outcomes
    for method, path in [op for op in forms if op not in LOGOUTS]:
        outcomes = {}
        for role in ROLES:
            outcomes[role] = _form_call(world, browsers[role], page_spec, method, path)
            world.release(path)
        observed[(method, path)] = outcomes
    observed[("POST", "/api/v1/auth/logout")] = {
        role: _api_call(world, spec, "POST", "/api/v1/auth/logout", role) for role in ROLES
    }
    observed[("POST", "/logout")] = {
        role: _form_call(world, browsers[role], page_spec, "POST", "/logout") for role in ROLES
    }
    if os.environ.get("ROLES_MATRIX_PRINT"):
        for (method, path), by_role in sorted(observed.items(), key=lambda item: (item[0][1], item[0][0])):
            print(f"| {method} | `{path}` | " + " | ".join(by_role[r] for r in ROLES) + " |")
    missing = sorted(set(observed) - set(documented))
    assert not missing, f"routes missing from docs/roles.md: {missing}"
    stale = sorted(set(documented) - set(observed))
    assert not stale, f"docs/roles.md lists routes the app no longer has: {stale}"
    wrong = []
    for key, by_role in observed.items():
        for role, outcome in by_role.items():
            expected = documented[key][role]
            if outcome != expected and (*key, role) not in PENDING:
                wrong.append(f"{key[0]} {key[1]} as {role}: documented {expected}, got {outcome}")
    assert not wrong, "\n".join(wrong)


# The money of a booking: what crew are not shown (docs/roles.md, "Crew").
PRICE_FIELDS = {"price", "quote", "cancellation_fee"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_crew_see_no_prices(client: TestClient, session: Session, app: FastAPI, db_url: str) -> None:
    """Crew read bookings (the day's grid, check-in) but not their price, quote or fee, in the API
    or on any page they may open; the booking's renter and managers do."""
    world = World(session, client, app)
    shown_price = "110,000"  # the world's booking: 2 h at 50,000 plus VAT
    booking, series = f"/api/v1/bookings/{world.booking_id}", f"/api/v1/series/{world.series_id}"

    def fields(role: str | None, path: str) -> list[set[str]]:
        headers = world._token(world.renter_a) if role is None else world.headers(role)
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        rows = body.get("items") or body.get("bookings") or [body]
        return [set(row) for row in rows]

    for path in (booking, "/api/v1/bookings", series):
        assert all(not keys & PRICE_FIELDS for keys in fields("crew", path)), path
        for role in (None, "manager"):  # None: the booking's own renter
            assert all(PRICE_FIELDS <= keys for keys in fields(role, path)), (role, path)
    crew_schema = app.openapi()["components"]["schemas"]["BookingPublic"]["properties"]
    assert not set(crew_schema) & PRICE_FIELDS
    # Every page crew may open, except the public catalogue's own price list and quote.
    crew = _browser(app, world.users["crew"])
    pages = [
        path
        for (method, path), cells in _documented().items()
        if method == "GET" and not path.startswith(("/api/", "/book", "/rooms")) and cells["crew"] == "ok"
    ]
    for path in pages:
        page = crew.get(_url(world, path), follow_redirects=False)
        assert shown_price not in page.text, path
    manager = _browser(app, world.users["manager"])
    assert shown_price in manager.get(f"/manage/bookings/{world.booking_id}").text
