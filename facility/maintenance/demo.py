"""The demo campus's assets, stock and plans with their occurrences since 1 January.

`load_demo_assets(session)` is idempotent: assets and plans are keyed by code and name. Run it
after `load_demo_campus`; `demo_history.py` then settles the past occurrences.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from facility.core.db import utcnow
from facility.maintenance import catalogue, plans
from facility.maintenance.kinds import AssetKind, PlanKind, Priority
from facility.maintenance.models import Asset, MaintenancePlan, Part
from facility.rooms.models import Building, Equipment, Floor, Room, RoomEquipment

# Makes and models are plausible for Korean public buildings; every value here is demo data.
MODELS: dict[AssetKind, tuple[str, str, str, str]] = {
    AssetKind.projector: ("Epson", "EB-L630U", "빔프로젝터", "Projector"),
    AssetKind.e_lectern: ("한국전자교탁", "HE-9000", "전자교탁", "E-lectern"),
    AssetKind.studio_camera: ("Sony", "PXW-Z190", "방송용 카메라", "Studio camera"),
    AssetKind.studio_light: ("Aputure", "LS 300d II", "스튜디오 조명", "Studio light"),
    AssetKind.vr_headset: ("Meta", "Quest 3", "VR 헤드셋", "VR headset"),
    AssetKind.fire_panel: ("우리소방", "WFR-P1", "화재수신기", "Fire alarm panel"),
    AssetKind.extinguisher: ("한국소방", "ABC-3.3kg", "소화기", "Fire extinguisher"),
    AssetKind.electrical_panel: ("LS ELECTRIC", "Susol MCCB", "분전반", "Electrical panel"),
    AssetKind.lift: ("현대엘리베이터", "YZER", "승강기", "Lift"),
    AssetKind.boiler: ("경동나비엔", "NCB-790", "보일러", "Boiler"),
    AssetKind.chiller: ("LG전자", "Turbo Chiller 500RT", "냉동기", "Chiller"),
    AssetKind.hvac: ("삼성전자", "AHU-30", "공조기", "Air handling unit"),
    AssetKind.pump: ("윌로펌프", "PBI-L403", "순환펌프", "Circulation pump"),
    AssetKind.generator: ("Cummins", "C550 D5", "비상발전기", "Emergency generator"),
    AssetKind.kitchen_hood: ("한일후드", "HK-3000", "주방 후드", "Kitchen hood"),
    AssetKind.pool_pump: ("Pentair", "IntelliFlo VSF", "수영장 순환펌프", "Pool pump"),
    AssetKind.pool_filter: ("Pentair", "TR-140C", "수영장 여과기", "Pool filter"),
    AssetKind.iaq_meter: ("케이웨더", "AIR 365", "실내공기질 측정기", "IAQ meter"),
}
ROOM_EQUIPMENT_ASSETS = {
    "projector": AssetKind.projector,
    "e_lectern": AssetKind.e_lectern,
    "studio_camera": AssetKind.studio_camera,
    "studio_light": AssetKind.studio_light,
    "vr_headset": AssetKind.vr_headset,
}
PARTS = [
    ("filter-ahu", "공조기 필터 (F7)", "AHU filter (F7)", "ea", 12, 6),
    ("lamp-led", "LED 등기구", "LED fitting", "ea", 40, 10),
    ("ext-abc", "분말소화기 3.3kg", "ABC extinguisher 3.3 kg", "ea", 8, 10),
    ("belt-v", "V벨트 B-52", "V-belt B-52", "ea", 4, 2),
    ("chlorine", "수영장 염소 (차아염소산나트륨)", "Pool chlorine (hypochlorite)", "L", 60, 20),
    ("fuse-10a", "퓨즈 10A", "Fuse 10 A", "ea", 30, 10),
]


def _serial(code: str) -> str:
    return hashlib.sha1(code.encode()).hexdigest()[:10].upper()


def _installed(code: str) -> date:
    n = int(hashlib.sha1(code.encode()).hexdigest()[:6], 16)
    return date(2012 + n % 12, 1 + n % 12, 1 + n % 28)


class _Assets:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.count = 0

    def put(
        self,
        code: str,
        kind: AssetKind,
        building_id: int,
        room_id: int | None = None,
        parent: Asset | None = None,
        label: str = "",
    ) -> Asset:
        make, model, ko, en = MODELS[kind]
        row = self.session.exec(select(Asset).where(Asset.code == code)).first() or Asset(
            code=code, name_ko="", kind=kind.value, building_id=building_id
        )
        row.name_ko, row.name_en = f"{ko} {label}".strip(), f"{en} {label}".strip()
        row.kind, row.building_id, row.room_id = kind.value, building_id, room_id
        row.parent_id = parent.id if parent else None
        row.make, row.model = make, model
        row.serial = row.serial or _serial(code)
        row.installed_on = row.installed_on or _installed(code)
        self.session.add(row)
        self.session.flush()
        self.count += 1
        return row


def _rooms(session: Session) -> dict[str, Room]:
    return {r.code: r for r in session.exec(select(Room))}


def _building_assets(assets: _Assets, session: Session, building: Building, rooms: dict[str, Room]) -> None:
    b = building.code.upper()
    floors = list(session.exec(select(Floor).where(Floor.building_id == building.id).order_by(col(Floor.level))))
    assets.put(f"FP-{b}", AssetKind.fire_panel, building.id)  # type: ignore[arg-type]
    main = assets.put(f"EP-{b}-MAIN", AssetKind.electrical_panel, building.id, label="주배전반")  # type: ignore[arg-type]
    for floor in floors:
        assets.put(
            f"EP-{b}-{floor.label}",
            AssetKind.electrical_panel,
            building.id,  # type: ignore[arg-type]
            parent=main,
            label=floor.label,
        )  # type: ignore[arg-type]
        for n in (1, 2):
            assets.put(
                f"EXT-{b}-{floor.label}-{n}",
                AssetKind.extinguisher,
                building.id,  # type: ignore[arg-type]
                label=f"{floor.label}-{n}",
            )  # type: ignore[arg-type]
    if len(floors) >= 3:
        for n in (1, 2) if len(floors) >= 5 else (1,):
            assets.put(f"LIFT-{b}-{n}", AssetKind.lift, building.id, label=f"{n}호기")  # type: ignore[arg-type]


def _plant_assets(assets: _Assets, rooms: dict[str, Room]) -> None:
    plant, kitchen, pool, admin = (rooms.get(c) for c in ("E-PLANT", "W-KITCHEN", "P-POOL", "A-DRC"))
    if plant:
        for n in (1, 2):
            boiler = assets.put(f"BLR-{n}", AssetKind.boiler, plant.building_id, plant.id, label=f"{n}호기")
            assets.put(f"PMP-BLR-{n}", AssetKind.pump, plant.building_id, plant.id, boiler, f"보일러 {n}")
        chiller = assets.put("CHL-1", AssetKind.chiller, plant.building_id, plant.id, label="1호기")
        assets.put("PMP-CHL-1", AssetKind.pump, plant.building_id, plant.id, chiller, "냉수")
        for n in range(1, 5):
            assets.put(f"AHU-{n}", AssetKind.hvac, plant.building_id, plant.id, label=f"{n}호기")
    if admin:
        assets.put("GEN-1", AssetKind.generator, admin.building_id, admin.id)
    if kitchen:
        for n in (1, 2):
            assets.put(f"HOOD-{n}", AssetKind.kitchen_hood, kitchen.building_id, kitchen.id, label=str(n))
    if pool:
        pool_filter = assets.put("POOL-FLT-1", AssetKind.pool_filter, pool.building_id, pool.id)
        for n in (1, 2):
            assets.put(f"POOL-PMP-{n}", AssetKind.pool_pump, pool.building_id, pool.id, pool_filter, str(n))
    for code in ("W-DINING", "H-AUD", "E-VH1", "D-GYM", "W-CONV"):
        if code in rooms:
            assets.put(
                f"IAQ-{code}",
                AssetKind.iaq_meter,
                rooms[code].building_id,
                rooms[code].id,
                label=code,
            )


def _room_assets(assets: _Assets, session: Session, rooms: dict[str, Room]) -> None:
    by_id = {r.id: r for r in rooms.values()}
    rows = session.exec(
        select(RoomEquipment, Equipment).join(Equipment, col(Equipment.id) == RoomEquipment.equipment_id)
    ).all()
    for link, item in rows:
        kind = ROOM_EQUIPMENT_ASSETS.get(item.code)
        room = by_id.get(link.room_id)
        if kind is None or room is None:
            continue
        for n in range(1, link.quantity + 1):
            assets.put(
                f"{item.code.upper().replace('_', '')}-{room.code}-{n}",
                kind,
                room.building_id,
                room.id,
                label=f"{room.code} #{n}",
            )


def _plan_specs(session: Session, rooms: dict[str, Room]) -> list[dict[str, Any]]:
    buildings = {b.code: b for b in session.exec(select(Building))}
    specs: list[dict[str, Any]] = []
    for code, building in buildings.items():
        if code == "outdoor":
            continue
        specs += [
            {
                "template": "fire-operational",
                "building_id": building.id,
                "name": f"소방 작동점검 · {building.name_ko}",
            },
            {
                "template": "fire-comprehensive",
                "building_id": building.id,
                "name": f"소방 종합점검 · {building.name_ko}",
            },
            {
                "template": "elec-monthly",
                "building_id": building.id,
                "name": f"전기설비 점검 · {building.name_ko}",
            },
            {
                "template": "facility-regular",
                "building_id": building.id,
                "name": f"정기안전점검 · {building.name_ko}",
            },
        ]
        if code in ("edu", "welf", "dorm", "tsc1"):
            specs.append(
                {
                    "template": "infection-rounds",
                    "building_id": building.id,
                    "name": f"감염병 순회점검 · {building.name_ko}",
                }
            )
    for lift in session.exec(select(Asset).where(Asset.kind == AssetKind.lift.value)):
        specs.append({"template": "lift-self", "asset_id": lift.id, "name": f"승강기 자체점검 · {lift.code}"})
    if "E-PLANT" in rooms:
        specs += [
            {
                "template": "mech-performance",
                "room_id": rooms["E-PLANT"].id,
                "name": "기계설비 성능점검",
            },
            {
                "template": "mech-maintenance",
                "room_id": rooms["E-PLANT"].id,
                "name": "기계설비 유지관리점검",
            },
        ]
    for code in ("W-DINING", "H-AUD", "D-GYM"):
        if code in rooms:
            specs.append(
                {
                    "template": "iaq-measure",
                    "room_id": rooms[code].id,
                    "name": f"실내공기질 측정 · {code}",
                }
            )
    if "P-POOL" in rooms:
        specs.append({"template": "pool-water", "room_id": rooms["P-POOL"].id, "name": "수영장 수질검사"})
    if "admin" in buildings:
        specs += [
            {
                "template": "sapa-review",
                "building_id": buildings["admin"].id,
                "name": "중대재해처벌법 반기 점검",
            },
            {
                "template": "osh-training",
                "building_id": buildings["admin"].id,
                "name": "산업안전보건교육",
            },
        ]
    for code in ("W-CONV", "H-AUD"):
        if code in rooms:
            specs.append(
                {
                    "template": "hvac-filter",
                    "room_id": rooms[code].id,
                    "kind": PlanKind.usage_booked,
                    "threshold_hours": 200.0,
                    "name": f"공조 필터 교체 (대관 200시간) · {code}",
                }
            )
    return specs


def load_demo_assets(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Assets, stock, templates, plans and history for the demo campus; returns counts."""
    now = now or utcnow()
    templates = catalogue.load_templates(session)
    rooms = _rooms(session)
    assets = _Assets(session)
    for building in session.exec(select(Building).order_by(col(Building.sort_order))).all():
        _building_assets(assets, session, building, rooms)
    _plant_assets(assets, rooms)
    _room_assets(assets, session, rooms)
    for code, ko, en, unit, on_hand, min_level in PARTS:
        if session.exec(select(Part).where(Part.code == code)).first() is None:
            session.add(
                Part(
                    code=code,
                    name_ko=ko,
                    name_en=en,
                    unit=unit,
                    on_hand=on_hand,
                    min_level=min_level,
                )
            )
    existing = {p.name for p in session.exec(select(MaintenancePlan))}
    # From 1 January (Seoul), or 90 days back early in the year: the demo's history settles them.
    start = min(datetime(now.year, 1, 1, tzinfo=UTC) - timedelta(hours=9), now - timedelta(days=90))
    created = []
    for spec in _plan_specs(session, rooms):
        if spec["name"] in existing:
            continue
        template = templates[spec.pop("template")]
        kind = spec.pop("kind", PlanKind.fixed)
        created.append(
            plans.create_plan(
                session,
                None,
                kind=kind,
                template_id=template.id,
                rrule=template.rrule,
                starts_at=start
                if kind == PlanKind.fixed and template.code != "infection-rounds"
                else now - timedelta(days=14),
                lead_days=0 if template.code == "infection-rounds" else 7,
                priority=Priority.normal,
                **spec,
            )
        )
    plans.generate_occurrences(session, now)
    session.flush()
    return {"assets": assets.count, "templates": len(templates), "plans_created": len(created)}
