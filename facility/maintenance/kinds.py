"""Enumerations of the maintenance domain (their Korean and English names are in the maintenance catalogue)."""

from __future__ import annotations

from enum import StrEnum


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
    # Never done, and closed as such: the compliance report counts it missed, the crews' lists drop it.
    missed = "missed"


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
    time = "time"  # a time of day (HH:MM), e.g. when an alarm or generator test was run


class AskWhen(StrEnum):
    """When an item asks for a note or a photo beside its answer."""

    never = "never"
    on_fail = "on_fail"
    always = "always"


class ReportStatus(StrEnum):
    new = "new"
    converted = "converted"
    dismissed = "dismissed"
