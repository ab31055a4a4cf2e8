"""Assets (matched by code) and users: staff with role, trade and buildings, renters with their
organisation (matched by e-mail)."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import cached_property
from typing import Any

from facility.core import accounts, password_links
from facility.core.i18n import gettext as _
from facility.core.models import Organization, OrgKind, Role, User
from facility.imports.base import Created, Importer, fmt_bool
from facility.imports.kinds_campus import building_names
from facility.imports.rows import Column, Row, codes, plain_rows, rows_by, upsert
from facility.maintenance.kinds import AssetKind
from facility.maintenance.models import Asset, StaffProfile
from facility.rooms.models import Building, Room


class Trade(StrEnum):
    """The crafts a maintenance crew is organised by."""

    general = "general"
    electrical = "electrical"
    mechanical = "mechanical"
    fire = "fire"
    av = "av"
    it = "it"
    cleaning = "cleaning"
    security = "security"


class AssetImporter(Importer):
    kind = "assets"
    columns = (
        Column("code", True, "unique; printed on the QR label"),
        Column("kind", True, "projector, boiler, lift, extinguisher ... (docs/import.md)"),
        Column("name_ko", True),
        Column("name_en"),
        Column("building", True, "building code"),
        Column("room", help="room code"),
        Column("maker"),
        Column("model"),
        Column("serial"),
        Column("installed_on", help="YYYY-MM-DD"),
        Column("warranty_until", help="YYYY-MM-DD"),
        Column("parent", help="code of the asset this one belongs to (a pump of a boiler)"),
        Column("active", help="yes (default)/no"),
        Column("notes"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.buildings = codes(self.session, Building)
        self.building_names = building_names(self.session)
        self.rooms = {r.code: r for r in plain_rows(self.session, Room)}
        self.room_ids: dict[str, int] = {code: int(r.id) for code, r in self.rooms.items()}  # type: ignore[arg-type]

    @cached_property
    def assets(self) -> dict[tuple[Any, ...], Any]:
        """The assets an import compares rows with, loaded at the first row (not for an export)."""
        return rows_by(self.session, Asset, "code")

    def apply(self, row: Row) -> str:
        code = row.text("code", required=True, max_length=60)
        building_id = row.lookup("building", self.buildings, "building", required=True, names=self.building_names)
        room_id = row.lookup("room", self.room_ids, "room")
        if room_id is not None and building_id is not None and self.rooms[row.text("room")].building_id != building_id:
            row.problem("room", _("The room is not in building '{building}'.", building=row.text("building")))
        parent = self.assets.get((row.text("parent"),))
        parent_id = row.lookup("parent", {row.text("parent"): int(parent.id)} if parent else {}, "asset")
        if row.text("parent") == code:
            row.problem("parent", _("An asset cannot be part of itself."))
        name_ko = row.text("name_ko", required=True)
        values = {
            "kind": row.choice("kind", AssetKind, required=True, labels="asset.kind."),
            "name_ko": name_ko,
            "name_en": row.text("name_en") or name_ko,
            "room_id": room_id,
            "parent_id": parent_id,
            "make": row.text("maker", max_length=100),
            "model": row.text("model", max_length=100),
            "serial": row.text("serial", max_length=100),
            "installed_on": row.day("installed_on"),
            "warranty_until": row.day("warranty_until"),
            "active": row.boolean("active", default=True),
            "notes": row.text("notes", max_length=2000),
        }
        if not row.ok:
            return ""
        values["building_id"] = building_id
        if (code,) not in self.assets:
            self.assets[(code,)] = Created(self.create(Asset, {"code": code, **values}))
            return "created"
        _asset, outcome = upsert(self.session, Asset, {"code": code}, values, known=self.assets, flush=False)
        return outcome

    def export_rows(self) -> list[dict[str, str]]:
        buildings = {id_: code for code, id_ in self.buildings.items()}
        rooms = {int(r.id): code for code, r in self.rooms.items()}  # type: ignore[arg-type]
        assets = sorted(plain_rows(self.session, Asset), key=lambda a: a.code)
        by_id = {a.id: a.code for a in assets}
        # Parents before their parts, so the file imports back in one pass.
        everything = {a.id: a for a in assets}
        depth = {a.id: _depth(a, everything) for a in assets}
        assets.sort(key=lambda a: (depth[a.id], a.code))
        return [
            {
                "code": a.code,
                "kind": a.kind,
                "name_ko": a.name_ko,
                "name_en": a.name_en,
                "building": buildings[a.building_id],
                "room": rooms.get(a.room_id, "") if a.room_id else "",
                "maker": a.make,
                "model": a.model,
                "serial": a.serial,
                "installed_on": a.installed_on.isoformat() if a.installed_on else "",
                "warranty_until": a.warranty_until.isoformat() if a.warranty_until else "",
                "parent": by_id.get(a.parent_id, "") if a.parent_id else "",
                "active": fmt_bool(a.active),
                "notes": a.notes,
            }
            for a in assets
        ]


def _depth(asset: Asset, by_id: dict[int | None, Asset]) -> int:
    depth, seen = 0, {asset.id}
    while asset.parent_id is not None and asset.parent_id in by_id and asset.parent_id not in seen:
        asset = by_id[asset.parent_id]
        seen.add(asset.id)
        depth += 1
    return depth


class UserImporter(Importer):
    kind = "users"
    key_column = "email"
    error_column = "email"
    columns = (
        Column("email", True, "unique; the sign-in name"),
        Column("role", True, "renter, crew, manager or admin"),
        Column("full_name"),
        Column("trade", help="staff: general, electrical, mechanical, fire, av, it, cleaning, security"),
        Column("buildings", help="staff: building codes they look after, e.g. edu;admin"),
        Column("organisation", help="renters: the organisation's name (created approved when new)"),
        Column("org_kind", help="renters' organisation: public, education, nonprofit, private"),
        Column("active", help="yes (default)/no"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.buildings = codes(self.session, Building)
        self.users = rows_by(self.session, User, "email")
        self.orgs = rows_by(self.session, Organization, "name")
        self.profiles = rows_by(self.session, StaffProfile, "user_id")

    def key(self, row: Row) -> str:
        return row.values.get("email", "").strip().lower()

    def apply(self, row: Row) -> str:
        email = row.text("email", required=True, max_length=254).lower()
        role = row.choice("role", Role, required=True, labels="role.")
        full_name = row.text("full_name", max_length=100)
        trade = row.choice("trade", Trade, labels="trade.")
        building_ids = self._building_ids(row)
        org_name = row.text("organisation")
        org_kind = row.choice("org_kind", OrgKind, default=OrgKind.private.value, labels="orgkind.")
        active = row.boolean("active", default=True)
        if role == Role.renter.value and not org_name:
            row.problem("organisation", _("A renter needs an organisation."))
        if role != Role.renter.value and org_name:
            row.problem("organisation", _("Only renters belong to an organisation."))
        if role == Role.renter.value and (trade or row.text("buildings")):
            row.problem("trade", _("Trade and buildings are for staff."))
        if not row.ok:
            return ""
        org_id = self._organisation(org_name, org_kind) if org_name else None
        user = self.users.get((email,))
        if user is None:
            user = accounts.create_user(
                self.session,
                self.actor,
                email=email,
                # Known to nobody: the person sets their own through the invitation link.
                password=secrets.token_urlsafe(32),
                role=Role(role),
                full_name=full_name,
                organization_id=org_id,
            )
            user.active = active
            self.session.add(user)
            self.users[(email,)] = user
            if self.base_url:
                password_links.invite(self.session, self.actor, user)
                self.notes.append(_("New account {email}: an invitation to set a password is e-mailed.", email=email))
            else:
                self.notes.append(
                    _("New account {email}: send a set-password link (set FACILITY_INSTITUTION_URL).", email=email)
                )
            outcome = "created"
        else:
            _same, outcome = upsert(
                self.session,
                User,
                {"email": email},
                {"role": role, "full_name": full_name, "organization_id": org_id, "active": active},
                known=self.users,
            )
        if role != Role.renter.value:
            _profile, profile_outcome = upsert(
                self.session,
                StaffProfile,
                {"user_id": user.id},
                {"trade": trade, "building_ids": building_ids},
                known=self.profiles,
            )
            if outcome == "unchanged" and profile_outcome != "unchanged":
                outcome = "updated"
        return outcome

    def _building_ids(self, row: Row) -> list[int]:
        ids = []
        for code in filter(None, (c.strip() for c in row.text("buildings", max_length=1000).split(";"))):
            if code in self.buildings:
                ids.append(self.buildings[code])
            else:
                row.problem("buildings", _("Unknown building '{value}'.", value=code))
        return sorted(ids)

    def _organisation(self, name: str, kind: str) -> int:
        org = self.orgs.get((name,))
        if org is None:
            org = accounts.create_organization(self.session, self.actor, name=name, kind=OrgKind(kind), approved=True)
            self.orgs[(name,)] = org
            self.notes.append(_("New organisation '{name}', approved.", name=name))
        elif org.kind != kind:
            org.kind = kind
            self.session.add(org)
        return int(org.id)  # type: ignore[arg-type]

    def export_rows(self) -> list[dict[str, str]]:
        buildings = {id_: code for code, id_ in self.buildings.items()}
        orgs = {o.id: o for o in self.orgs.values()}
        rows = []
        for user in sorted(self.users.values(), key=lambda u: u.email):
            org = orgs.get(user.organization_id)
            profile = self.profiles.get((user.id,))
            rows.append(
                {
                    "email": user.email,
                    "role": user.role,
                    "full_name": user.full_name,
                    "trade": profile.trade if profile else "",
                    "buildings": ";".join(buildings[i] for i in profile.building_ids if i in buildings)
                    if profile
                    else "",
                    "organisation": org.name if org else "",
                    "org_kind": org.kind if org else "",
                    "active": fmt_bool(user.active),
                }
            )
        return rows
