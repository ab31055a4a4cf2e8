"""Alert rules per room kind and metric, with hysteresis and a minimum duration.

Rules run on every batch the gateway writes: an alert is raised once when its condition has held
for the minimum duration, and clears itself when the value crosses back past the hysteresis band.
The rules here are the defaults; managers override limits, delays and on/off per room kind or room
(`RuleSet`, saved as versions by facility/sensors/rule_settings.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session

from facility.sensors.bookings import room_in_use as booked_now
from facility.sensors.catalogue import METRICS, Limit
from facility.sensors.models import Alert, AlertWatch, Device
from facility.sensors.parsing import Reading

# Is this room booked at this moment? Bookings answer it; a test passes its own answer.
RoomInUse = Callable[[Session, int, datetime], bool]

INDOOR = None  # every room kind


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    severity: str
    message: str
    above: float | None = None  # raised when value > above ...
    below: float | None = None  # ... or value < below
    hysteresis: float = 0.0
    min_duration: timedelta = timedelta(0)
    room_kinds: frozenset[str] | None = INDOOR
    only_when_booked: bool = False
    # The message with {above}, {below} and {unit} unfilled, so overridden limits read right.
    template: str = ""
    unit: str = ""

    def breached(self, value: float) -> bool:
        return (self.above is not None and value > self.above) or (self.below is not None and value < self.below)

    def cleared(self, value: float) -> bool:
        high_ok = self.above is None or value <= self.above - self.hysteresis
        low_ok = self.below is None or value >= self.below + self.hysteresis
        return high_ok and low_ok


def default_rule(
    name: str,
    metric: str,
    severity: str,
    message: str,
    *,
    min_duration: timedelta = timedelta(0),
    room_kinds: frozenset[str] | None = INDOOR,
    only_when_booked: bool = False,
) -> Rule:
    """A rule on the metric's default limit; `message` may name {above}, {below} and {unit}."""
    entry = METRICS[metric]
    limit = entry.limit or Limit()
    return Rule(
        name,
        metric,
        severity,
        _fill(message, limit.above, limit.below, entry.unit),
        above=limit.above,
        below=limit.below,
        hysteresis=limit.hysteresis,
        min_duration=min_duration,
        room_kinds=room_kinds,
        only_when_booked=only_when_booked,
        template=message,
        unit=entry.unit,
    )


def _fill(template: str, above: float | None, below: float | None, unit: str) -> str:
    def shown(bound: float | None) -> str:
        return f"{bound:,g}" if bound is not None else ""

    return template.format(above=shown(above), below=shown(below), unit=unit)


LEARNING_ROOMS = frozenset(
    {
        "lecture_room",
        "hybrid_lecture_hall",
        "hybrid_classroom",
        "smart_classroom",
        "seminar_room",
        "computer_lab",
        "auditorium",
        "convention_hall",
        "multipurpose_hall",
        "workshop",
        "studio",
    }
)
RULES: tuple[Rule, ...] = (
    default_rule(
        "co2_high",
        "co2",
        "warning",
        "CO2 above {above} {unit} for 10 minutes: ventilate",
        min_duration=timedelta(minutes=10),
    ),
    default_rule(
        "comfort_temperature",
        "temperature",
        "info",
        "Temperature outside {below}-{above} {unit} during a booking",
        min_duration=timedelta(minutes=15),
        room_kinds=LEARNING_ROOMS,
        only_when_booked=True,
    ),
    default_rule("water_leak", "water_leak", "critical", "Water leak detected"),
    # The server room is held cooler than the comfort band: its own limit, not the metric's.
    Rule(
        "server_room_temperature",
        "temperature",
        "critical",
        "Server room above 27 °C",
        above=27,
        hysteresis=1,
        min_duration=timedelta(minutes=5),
        room_kinds=frozenset({"server_room"}),
    ),
    default_rule(
        "pool_chlorine",
        "free_chlorine",
        "warning",
        "Pool free chlorine outside {below}-{above} {unit}",
        min_duration=timedelta(minutes=5),
        room_kinds=frozenset({"pool"}),
    ),
    default_rule(
        "pool_ph",
        "ph",
        "warning",
        "Pool pH outside {below}-{above}",
        min_duration=timedelta(minutes=5),
        room_kinds=frozenset({"pool"}),
    ),
    default_rule("equipment_fault", "equipment_status", "warning", "Equipment reports a fault"),
    default_rule("ups_overload", "ups_load", "critical", "UPS load above {above} %", min_duration=timedelta(minutes=2)),
)


RULE_METRICS = frozenset(rule.metric for rule in RULES)
_BY_METRIC = {m: tuple(r for r in RULES if r.metric == m) for m in RULE_METRICS}


RULES_BY_NAME = {rule.name: rule for rule in RULES}


def rules_for(metric: str, room_kind: str | None) -> list[Rule]:
    """The default rules of a metric for a room kind (no overrides)."""
    return [rule for rule in _BY_METRIC.get(metric, ()) if rule.room_kinds is None or room_kind in rule.room_kinds]


@dataclass(frozen=True)
class Override:
    """A manager's change to one rule for all rooms, a room kind or one room; None keeps the value
    of the wider scope (all rooms < room kind < room)."""

    rule: str
    room_kind: str | None = None
    room_id: int | None = None
    above: float | None = None
    below: float | None = None
    delay_minutes: float | None = None
    enabled: bool = True

    @property
    def scope(self) -> tuple[str, str | int | None]:
        if self.room_id is not None:
            return ("room", self.room_id)
        return ("kind", self.room_kind) if self.room_kind else ("all", None)


@dataclass
class RuleSet:
    """The default rules with the overrides of one saved version applied, memoised per room."""

    overrides: tuple[Override, ...] = ()
    _by_scope: dict[tuple[str, tuple[str, str | int | None]], Override] = field(default_factory=dict)
    _memo: dict[tuple[str, str | None, int | None], list[Rule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_scope = {(o.rule, o.scope): o for o in self.overrides}

    def rules_for(self, metric: str, room_kind: str | None, room_id: int | None = None) -> list[Rule]:
        """The rules in force for a metric in this room: defaults, then overrides."""
        # Memoised with or without overrides: the alert rules ask once per reading.
        key = (metric, room_kind, room_id if self._by_scope else None)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = (
                [
                    rule
                    for rule in (self.effective(r, room_kind, room_id) for r in _BY_METRIC.get(metric, ()))
                    if rule is not None
                ]
                if self._by_scope
                else rules_for(metric, room_kind)
            )
        return found

    def effective(self, rule: Rule, room_kind: str | None, room_id: int | None) -> Rule | None:
        """The rule for this room, or None where it is off; a kind's or a room's override may also
        switch a rule on where the default does not apply (the comfort rule in offices, say)."""
        applies = rule.room_kinds is None or room_kind in rule.room_kinds
        scopes = [("all", None), ("kind", room_kind) if room_kind else None, ("room", room_id) if room_id else None]
        chain = [self._by_scope.get((rule.name, s)) for s in scopes if s is not None]
        above, below, delay = rule.above, rule.below, rule.min_duration
        changed = False
        for override in chain:
            if override is None:
                continue
            changed = True
            applies = override.enabled if override.scope[0] != "all" else applies and override.enabled
            above = override.above if override.above is not None else above
            below = override.below if override.below is not None else below
            if override.delay_minutes is not None:
                delay = timedelta(minutes=override.delay_minutes)
        if not applies:
            return None
        if not changed:
            return rule
        message = _fill(rule.template, above, below, rule.unit) if rule.template else rule.message
        return replace(rule, above=above, below=below, min_duration=delay, message=message)


DEFAULT_RULE_SET = RuleSet()


WatchKey = tuple[str, int, str]
LAST_TS_REFRESH = timedelta(minutes=1)


# A watch as stored: (id, breached_since, alert_id, last_ts).
_Stored = tuple[int, datetime | None, int | None, datetime | None]


def _load_watches(session: Session, device_ids: set[int]) -> dict[WatchKey, _Stored]:
    """Every watch of the batch's devices in one query, not one per reading; plain rows, not ORM
    objects, which cost the gateway's recorder more than the rules themselves."""
    if not device_ids:
        return {}
    w = AlertWatch.__table__.c  # type: ignore[attr-defined]
    query = sa_select(w.rule, w.device_id, w.metric, w.id, w.breached_since, w.alert_id, w.last_ts)
    rows = session.execute(query.where(w.device_id.in_(device_ids)))
    return {(rule, device_id, metric): (row_id, *rest) for rule, device_id, metric, row_id, *rest in rows}


@dataclass
class _State:
    """A watch's fields as plain Python while a batch runs; written back once per batch."""

    key: WatchKey
    stored: _Stored | None  # None: a new watch
    breached_since: datetime | None
    alert_id: int | None
    last_ts: datetime | None

    def changes(self) -> dict[str, Any] | None:
        """The row to insert or update, or None if what is stored still holds."""
        values = {"breached_since": self.breached_since, "alert_id": self.alert_id, "last_ts": self.last_ts}
        if self.stored is None:
            rule, device_id, metric = self.key
            return {"rule": rule, "device_id": device_id, "metric": metric} | values
        row_id, breached_since, alert_id, last_ts = self.stored
        decided = (breached_since, alert_id) != (self.breached_since, self.alert_id)
        # last_ts alone only guards against late arrivals: refresh it once a minute, not per batch.
        stale = self.last_ts is not None and (last_ts is None or self.last_ts - last_ts >= LAST_TS_REFRESH)
        return {"id": row_id} | values if decided or stale else None


def _state(
    cache: dict[WatchKey, _Stored], states: dict[WatchKey, _State], rule: Rule, device_id: int, metric: str
) -> _State:
    key = (rule.name, device_id, metric)
    state = states.get(key)
    if state is None:
        stored = cache.get(key)
        if stored is None:
            state = states[key] = _State(key, None, None, None, None)
        else:
            state = states[key] = _State(key, stored, *stored[1:])
    return state


def _write_back(session: Session, states: Iterable[_State]) -> None:
    """New watches in one INSERT, changed ones in one executemany UPDATE by primary key."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for state in states:
        row = state.changes()
        if row is not None:
            (updates if "id" in row else inserts).append(row)
    if inserts:
        session.execute(insert(AlertWatch), inserts)
    if updates:
        session.execute(update(AlertWatch), updates)


def _applies_now(session: Session, rule: Rule, device: Device, ts: datetime, room_in_use: RoomInUse) -> bool:
    if not rule.only_when_booked:
        return True
    if device.room_id is None:
        return False
    return room_in_use(session, device.room_id, ts)


def evaluate(
    session: Session,
    readings: Iterable[Reading],
    devices: dict[str, Device],
    room_kinds: dict[int, str],
    *,
    room_in_use: RoomInUse = booked_now,
    rule_set: RuleSet = DEFAULT_RULE_SET,
) -> list[Alert]:
    """Advance every rule's watch with the batch; returns alerts raised or cleared."""
    changed: list[Alert] = []
    relevant = [r for r in readings if r.metric in RULE_METRICS]
    if not relevant:
        return changed
    cache = _load_watches(session, {d.id for d in devices.values() if d.id is not None})
    states: dict[WatchKey, _State] = {}
    # Each device's id, room and room kind read once: an ORM attribute costs a descriptor call.
    placed = {
        code: (device, device.id or 0, device.room_id, room_kinds.get(device.room_id) if device.room_id else None)
        for code, device in devices.items()
    }
    for reading in sorted(relevant, key=attrgetter("ts")):
        where = placed.get(reading.device)
        if where is None:
            continue
        device, device_id, room_id, kind = where
        for rule in rule_set.rules_for(reading.metric, kind, room_id):
            state = _state(cache, states, rule, device_id, reading.metric)
            if state.last_ts is not None and reading.ts < state.last_ts:
                continue  # late arrival: the newer value already decided
            state.last_ts = reading.ts
            alert = _advance(session, rule, state, device, reading, room_in_use)
            if alert is not None:
                changed.append(alert)
    _write_back(session, states.values())
    return changed


def _advance(
    session: Session, rule: Rule, watch: _State, device: Device, reading: Reading, room_in_use: RoomInUse
) -> Alert | None:
    if watch.alert_id is not None:
        if rule.cleared(reading.value):
            alert = session.get(Alert, watch.alert_id)
            watch.alert_id, watch.breached_since = None, None
            if alert is not None and alert.state == "active":
                alert.state, alert.cleared_at = "cleared", reading.ts
                session.add(alert)
                return alert
        return None
    if not (rule.breached(reading.value) and _applies_now(session, rule, device, reading.ts, room_in_use)):
        watch.breached_since = None
        return None
    watch.breached_since = watch.breached_since or reading.ts
    if reading.ts - watch.breached_since < rule.min_duration:
        return None
    alert = Alert(
        rule=rule.name,
        room_id=device.room_id,
        device_id=device.id,
        metric=reading.metric,
        severity=rule.severity,
        message=rule.message,
        value=reading.value,
        raised_at=reading.ts,
    )
    session.add(alert)
    session.flush()
    watch.alert_id = alert.id
    return alert
