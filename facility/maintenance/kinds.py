"""Enumerations of the maintenance domain and their Korean and English names."""

from __future__ import annotations

from enum import StrEnum

from facility.core import i18n


class AssetKind(StrEnum):
    hvac = "hvac"
    boiler = "boiler"
    chiller = "chiller"
    pump = "pump"
    lift = "lift"
    fire_panel = "fire_panel"
    extinguisher = "extinguisher"
    sprinkler = "sprinkler"
    electrical_panel = "electrical_panel"
    generator = "generator"
    projector = "projector"
    e_lectern = "e_lectern"
    studio_camera = "studio_camera"
    studio_light = "studio_light"
    vr_headset = "vr_headset"
    kitchen_hood = "kitchen_hood"
    pool_pump = "pool_pump"
    pool_filter = "pool_filter"
    iaq_meter = "iaq_meter"
    other = "other"


class WorkOrderStatus(StrEnum):
    open = "open"
    assigned = "assigned"
    in_progress = "in_progress"
    on_hold = "on_hold"
    done = "done"
    verified = "verified"
    cancelled = "cancelled"


CLOSED_STATUSES = frozenset({WorkOrderStatus.done, WorkOrderStatus.verified, WorkOrderStatus.cancelled})
OPEN_STATUSES = [s.value for s in WorkOrderStatus if s not in CLOSED_STATUSES]

# Which state may follow which; anything else is refused with a 409.
TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    WorkOrderStatus.open: frozenset({WorkOrderStatus.assigned, WorkOrderStatus.cancelled}),
    WorkOrderStatus.assigned: frozenset(
        {
            WorkOrderStatus.in_progress,
            WorkOrderStatus.on_hold,
            WorkOrderStatus.open,
            WorkOrderStatus.cancelled,
        }
    ),
    WorkOrderStatus.in_progress: frozenset({WorkOrderStatus.on_hold, WorkOrderStatus.done, WorkOrderStatus.cancelled}),
    WorkOrderStatus.on_hold: frozenset({WorkOrderStatus.in_progress, WorkOrderStatus.cancelled}),
    WorkOrderStatus.done: frozenset({WorkOrderStatus.verified, WorkOrderStatus.in_progress}),
    WorkOrderStatus.verified: frozenset(),
    WorkOrderStatus.cancelled: frozenset(),
}
# The moves a crew member may make on work assigned to them; managers may make any allowed move.
CREW_MOVES = frozenset(
    {
        (WorkOrderStatus.assigned, WorkOrderStatus.in_progress),
        (WorkOrderStatus.in_progress, WorkOrderStatus.on_hold),
        (WorkOrderStatus.in_progress, WorkOrderStatus.done),
        (WorkOrderStatus.on_hold, WorkOrderStatus.in_progress),
    }
)


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    critical = "critical"


class WorkOrderSource(StrEnum):
    manual = "manual"
    inspection = "inspection"
    report = "report"
    alert = "alert"
    plan = "plan"


class InspectionStatus(StrEnum):
    """Stored states; 'overdue' and 'upcoming' are derived from the due time."""

    open = "open"
    done = "done"
    verified = "verified"
    cancelled = "cancelled"


class PlanKind(StrEnum):
    fixed = "fixed"  # calendar recurrence from the scheduled dates
    floating = "floating"  # calendar recurrence from the last completion
    usage_booked = "usage_booked"  # after N booked hours of the room
    usage_meter = "usage_meter"  # after N running hours from a sensor meter
    condition = "condition"  # on a sensor alert (debounced)


class ItemType(StrEnum):
    check = "check"  # pass / fail / not applicable
    number = "number"  # reading with limits; outside them is a fail
    text = "text"
    photo = "photo"


class ReportStatus(StrEnum):
    new = "new"
    converted = "converted"
    dismissed = "dismissed"


i18n.register(
    {
        f"asset.kind.{k}": v
        for k, v in {
            "hvac": ("공조기", "Air handling unit"),
            "boiler": ("보일러", "Boiler"),
            "chiller": ("냉동기", "Chiller"),
            "pump": ("펌프", "Pump"),
            "lift": ("승강기", "Lift"),
            "fire_panel": ("화재수신기", "Fire alarm panel"),
            "extinguisher": ("소화기", "Fire extinguisher"),
            "sprinkler": ("스프링클러 밸브", "Sprinkler valve"),
            "electrical_panel": ("분전반", "Electrical panel"),
            "generator": ("비상발전기", "Emergency generator"),
            "projector": ("빔프로젝터", "Projector"),
            "e_lectern": ("전자교탁", "E-lectern"),
            "studio_camera": ("방송용 카메라", "Studio camera"),
            "studio_light": ("스튜디오 조명", "Studio light"),
            "vr_headset": ("VR 헤드셋", "VR headset"),
            "kitchen_hood": ("주방 후드", "Kitchen hood"),
            "pool_pump": ("수영장 순환펌프", "Pool pump"),
            "pool_filter": ("수영장 여과기", "Pool filter"),
            "iaq_meter": ("실내공기질 측정기", "IAQ meter"),
            "other": ("기타", "Other"),
        }.items()
    }
)
i18n.register(
    {
        "wo.status.open": ("접수", "Open"),
        "wo.status.assigned": ("배정", "Assigned"),
        "wo.status.in_progress": ("작업 중", "In progress"),
        "wo.status.on_hold": ("보류", "On hold"),
        "wo.status.done": ("완료", "Done"),
        "wo.status.verified": ("확인 완료", "Verified"),
        "wo.status.cancelled": ("취소", "Cancelled"),
        "priority.low": ("낮음", "Low"),
        "priority.normal": ("보통", "Normal"),
        "priority.high": ("높음", "High"),
        "priority.critical": ("긴급", "Critical"),
        "insp.status.open": ("예정", "Open"),
        "insp.status.done": ("완료", "Done"),
        "insp.status.verified": ("확인 완료", "Verified"),
        "insp.status.cancelled": ("취소", "Cancelled"),
        "insp.status.overdue": ("기한 경과", "Overdue"),
        "wo.source.manual": ("직접 등록", "Entered by staff"),
        "wo.source.inspection": ("점검 부적합", "Failed inspection item"),
        "wo.source.report": ("현장 신고", "Problem report"),
        "wo.source.alert": ("센서 경보", "Sensor alert"),
        "wo.source.plan": ("예방 정비 계획", "Preventive plan"),
        "plan.kind.fixed": ("정기(고정일)", "Calendar (fixed)"),
        "plan.kind.floating": ("정기(완료일 기준)", "Calendar (from completion)"),
        "plan.kind.usage_booked": ("사용시간(대관)", "Usage (booked hours)"),
        "plan.kind.usage_meter": ("가동시간(계량)", "Usage (meter hours)"),
        "plan.kind.condition": ("상태 기반(경보)", "Condition (alert)"),
    }
)
