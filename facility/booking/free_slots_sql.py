"""Free slots of many rooms computed by PostgreSQL (14 or later: multiranges), each room's answer
kept while its claims stay the same (booking/kept_slots.py).

On PostgreSQL a room's claims enter its key as a fingerprint: their count and the sum of a 64-bit
hash of each claim's start and end. A search first reads the fingerprints, one grouped read of the
window's claims, and computes only the rooms whose key is not kept, in one statement that also
returns the fingerprint it computed from (so an answer is stored under its own snapshot's). Two
claim sets with one fingerprint would need a 64-bit hash collision; even then a stale free slot
would only be shown, never booked: the exclusion constraint decides at booking time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from facility.booking import kept_slots
from facility.booking.availability import BUFFER_MARGIN, SLOT, SlotRoom
from facility.booking.models import LONG_CLAIM
from facility.core.db import read_planned_for_values

# PostgreSQL 14 brought multiranges: from there the database subtracts the claims itself.
MULTIRANGE_SERVER = (14,)
# Active claims overlapping the widened window: claims.overlapping's filter spelled out
# (`ix_space_claim_period`, `ix_space_claim_long`), as epoch seconds.
_CLAIM_CTE = """
claim AS (
    SELECT space_id, CAST(extract(epoch FROM starts_at) AS bigint) AS s,
           CAST(extract(epoch FROM ends_at) AS bigint) AS e
    FROM space_claim
    WHERE active AND (
        (starts_at >= :recent_from AND starts_at < :hi AND ends_at > :lo)
        OR (extract(epoch from (ends_at - starts_at)) > {long_seconds} AND starts_at < :recent_from AND ends_at > :lo)
    ) {space_filter}
)"""
# A claim's share of a fingerprint: a hash of its start and end (summed, not xored, so that two
# equal claims do not cancel out).
_CLAIM_HASH = "hashint8extended(claim.e, claim.s)"
_FINGERPRINTS_SQL = f"""
WITH {_CLAIM_CTE}
SELECT space_id, count(*), sum({_CLAIM_HASH}) FROM claim GROUP BY space_id
"""
# Per room: its opening intervals minus the union of its spaces' claims (widened by the room's
# buffers), cut to the slot grid, as the JSON text of its slots, beside its claims' fingerprint.
# Instants are joined to `iso`, the local ISO text of each grid point of the window (a join:
# subscripting a text array walks it).
_FREE_SLOTS_SQL = f"""
WITH {_CLAIM_CTE},
room AS (
    SELECT * FROM unnest(CAST(:room_ids AS int[]), CAST(:sources AS int[]), CAST(:befores AS bigint[]),
                         CAST(:afters AS bigint[])) AS r(room_id, source, before, after)
),
part AS (
    SELECT * FROM unnest(CAST(:part_rooms AS int[]), CAST(:part_spaces AS int[])) AS p(room_id, space_id)
),
busy AS (
    SELECT part.room_id, range_agg(int8range(claim.s - room.after, claim.e + room.before)) AS taken,
           count(*) AS claims, sum({_CLAIM_HASH}) AS hashes
    FROM part JOIN claim ON claim.space_id = part.space_id JOIN room ON room.room_id = part.room_id
    GROUP BY part.room_id
),
opening AS (
    SELECT * FROM unnest(CAST(:open_sources AS int[]), CAST(:open_los AS bigint[]), CAST(:open_his AS bigint[]))
        AS o(source, lo, hi)
),
piece AS (
    SELECT room.room_id,
           unnest(int8multirange(int8range(opening.lo, opening.hi)) - coalesce(busy.taken, '{{{{}}}}')) AS free
    FROM room JOIN opening ON opening.source = room.source LEFT JOIN busy ON busy.room_id = room.room_id
),
slot AS (
    SELECT room_id, (lower(free) + :step - 1) / :step * :step AS lo, upper(free) / :step * :step AS hi FROM piece
),
grid AS (
    SELECT :base + (n - 1) * :step AS moment, local FROM unnest(CAST(:iso AS text[])) WITH ORDINALITY AS g(local, n)
),
found AS (
    SELECT room_id, string_agg('{{{{"start": "' || first.local || '", "end": "' || last.local || '"}}}}', ', '
                               ORDER BY lo) AS slots
    FROM slot JOIN grid AS first ON first.moment = slot.lo JOIN grid AS last ON last.moment = slot.hi
    WHERE hi - lo >= :shortest
    GROUP BY room_id
)
SELECT room.room_id, coalesce(busy.claims, 0), coalesce(busy.hashes, 0), coalesce(found.slots, '')
FROM room LEFT JOIN busy ON busy.room_id = room.room_id LEFT JOIN found ON found.room_id = room.room_id
"""


def free_slots_json(
    session: Session,
    rooms: Sequence[SlotRoom],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    min_length: timedelta = SLOT,
) -> dict[int, str] | None:
    """availability.free_epoch_slots computed by PostgreSQL: per room with any, its slots as the
    JSON text of the items of a list of {"start", "end"} in local ISO time, as json.dumps writes
    them. None on other databases: use free_epoch_slots."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or (connection.dialect.server_version_info or ()) < MULTIRANGE_SERVER:
        return None
    shortest = int(min_length.total_seconds())
    found = kept_slots.search(session, rooms, start, end, zone, shortest)
    if not found.rooms:
        return {}
    claims = _Claims(start, end, {space for inputs in found.rooms for space in inputs.leaves})
    # A window first asked here has nothing kept: computing every room at once reads the claims
    # once, where fingerprints first would read them twice.
    fingerprints = claims.fingerprints(connection) if kept_slots.seen(found.window) else None
    result: dict[int, str] = {}
    missing: dict[int, tuple[kept_slots.RoomInputs, kept_slots.Key]] = {}
    for inputs in found.rooms:
        key = inputs.key(zone, shortest)
        slots = None if fingerprints is None else kept_slots.kept((*key, *_fingerprint(fingerprints, inputs.leaves)))
        if slots is None:
            missing[inputs.room.id] = (inputs, key)  # type: ignore[index]
        elif slots:
            result[inputs.room.id] = slots  # type: ignore[index]
    kept_slots.note_seen(found.window)
    if missing:
        computed = claims.free_slots(connection, [m[0] for m in missing.values()], found, zone, shortest)
        for room_id, count, hashes, slots in computed:
            kept_slots.keep((*missing[room_id][1], count, int(hashes)), slots)
            if slots:
                result[room_id] = slots
    return result


def _fingerprint(fingerprints: dict[int, tuple[int, int]], leaves: list[int]) -> tuple[int, int]:
    """A room's claims' count and hash sum: its leaf spaces' together."""
    count, hashes = 0, 0
    for space in leaves:
        space_count, space_hashes = fingerprints.get(space, (0, 0))
        count, hashes = count + space_count, hashes + space_hashes
    return count, hashes


class _Claims:
    """The claim read of one search: the window widened by the buffers, on the wanted spaces."""

    def __init__(self, start: datetime, end: datetime, spaces: set[int]) -> None:
        reach_from, reach_to = start - BUFFER_MARGIN, end + BUFFER_MARGIN
        # Past a few hundred spaces a filter costs more than it saves (as in claims_in_window).
        few = len(spaces) < 500
        self.cte = {
            "long_seconds": int(LONG_CLAIM.total_seconds()) - 60,
            "space_filter": "AND space_id = ANY(CAST(:spaces AS int[]))" if few else "",
        }
        self.params: dict[str, Any] = {"lo": reach_from, "hi": reach_to, "recent_from": reach_from - LONG_CLAIM}
        if few:
            self.params["spaces"] = sorted(spaces)
        self.start, self.end = start, end

    def fingerprints(self, connection: Any) -> dict[int, tuple[int, int]]:
        """Per space with claims: their count and the sum of their hashes."""
        query = text(_FINGERPRINTS_SQL.format(**self.cte)).bindparams(**self.params)
        rows: list[Any] = read_planned_for_values(connection, query)
        return {space: (count, int(hashes)) for space, count, hashes in rows}

    def free_slots(
        self,
        connection: Any,
        rooms: list[kept_slots.RoomInputs],
        found: kept_slots.Search,
        zone: ZoneInfo,
        shortest: int,
    ) -> list[Any]:
        """(room id, claim count, claim hashes, slots JSON text) of each room, in one statement."""
        step = int(SLOT.total_seconds())
        sources: dict[tuple[str, int], int] = {}
        room_ids, room_sources, befores, afters, part_rooms, part_spaces = [], [], [], [], [], []
        open_sources, open_los, open_his = [], [], []
        for room, _opening, before, after, leaves in rooms:
            source = found.campus.hours_source(room)
            index = sources.get(source)
            if index is None:
                index = sources[source] = len(sources)
                for lo, hi in found.openings[source]:
                    open_sources.append(index)
                    open_los.append(lo)
                    open_his.append(hi)
            room_ids.append(room.id)
            room_sources.append(index)
            befores.append(before)
            afters.append(after)
            for space in leaves:
                part_rooms.append(room.id)
                part_spaces.append(space)
        window_start, window_end = int(self.start.timestamp()), int(self.end.timestamp())
        base = -(-window_start // step) * step
        iso = [datetime.fromtimestamp(moment, zone).isoformat() for moment in range(base, window_end + 1, step)]
        params = {
            **self.params,
            "room_ids": room_ids,
            "sources": room_sources,
            "befores": befores,
            "afters": afters,
            "part_rooms": part_rooms,
            "part_spaces": part_spaces,
            "open_sources": open_sources,
            "open_los": open_los,
            "open_his": open_his,
            "step": step,
            "base": base,
            "iso": iso,
            "shortest": shortest,
        }
        return read_planned_for_values(connection, text(_FREE_SLOTS_SQL.format(**self.cte)).bindparams(**params))
