"""Alert rules: minimum duration, raised once, hysteresis, cleared by itself, per room kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from facility.sensors import service
from facility.sensors.alerts import RoomInUse
from facility.sensors.parsing import Reading
from tests.factories import make_room
from tests.sensors.factories import make_device

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def feed(session: Session, device_code: str, metric: str, values: list[tuple[int, float]], **seams: RoomInUse) -> None:
    """Readings at minute offsets, one batch each, as the gateway writes them."""
    for minute, value in values:
        reading = Reading(device_code, "edu", "X", metric, value, T0 + timedelta(minutes=minute))
        service.record_batch(session, [reading], now=reading.ts, **seams)
        session.commit()


def test_co2_needs_ten_minutes_is_raised_once_and_clears_below_hysteresis(session: Session) -> None:
    room = make_room(session)
    device = make_device(session, room=room)
    feed(session, device.code, "co2", [(0, 1100), (5, 1200), (9, 1150)])
    assert service.list_alerts(session) == []
    feed(session, device.code, "co2", [(10, 1050), (12, 1300)])
    (alert,) = service.list_alerts(session, active=True)
    assert (alert.rule, alert.room_id, alert.severity) == ("co2_high", room.id, "warning")
    assert alert.raised_at == T0 + timedelta(minutes=10)
    feed(session, device.code, "co2", [(13, 950)])  # below 1,000 but inside the hysteresis band
    assert service.list_alerts(session, active=True) == [alert]
    feed(session, device.code, "co2", [(14, 880)])
    assert service.list_alerts(session, active=True) == []
    session.refresh(alert)
    assert alert.state == "cleared" and alert.cleared_at == T0 + timedelta(minutes=14)


def test_a_dip_restarts_the_minimum_duration(session: Session) -> None:
    device = make_device(session, room=make_room(session))
    feed(session, device.code, "co2", [(0, 1100), (6, 900), (8, 1100), (15, 1100)])
    assert service.list_alerts(session) == []
    feed(session, device.code, "co2", [(18, 1100)])
    assert len(service.list_alerts(session, active=True)) == 1


def test_rules_follow_the_room_kind(session: Session) -> None:
    server = make_device(session, room=make_room(session, kind="server_room"))
    lecture = make_device(session, room=make_room(session, kind="lecture_room"))
    for code in (server.code, lecture.code):
        feed(session, code, "temperature", [(0, 30), (6, 30)])
    (alert,) = service.list_alerts(session, active=True)
    assert alert.rule == "server_room_temperature" and alert.device_id == server.id


def test_water_leak_is_immediate_even_for_an_unassigned_device(session: Session) -> None:
    device = make_device(session)
    feed(session, device.code, "water_leak", [(0, 1)])
    (alert,) = service.list_alerts(session, active=True)
    assert alert.severity == "critical" and alert.room_id is None
    feed(session, device.code, "water_leak", [(1, 0)])
    assert service.list_alerts(session, active=True) == []


def test_comfort_band_only_during_a_booking(session: Session) -> None:
    device = make_device(session, room=make_room(session))
    feed(session, device.code, "temperature", [(0, 31), (20, 31)])
    assert service.list_alerts(session) == []  # no booking hook: not in use
    feed(session, device.code, "temperature", [(21, 31), (40, 31)], room_in_use=lambda _session, _room_id, _ts: True)
    assert [a.rule for a in service.list_alerts(session, active=True)] == ["comfort_temperature"]


def test_late_readings_do_not_flip_a_rule(session: Session) -> None:
    device = make_device(session, room=make_room(session))
    feed(session, device.code, "water_leak", [(5, 1), (3, 0)])
    assert len(service.list_alerts(session, active=True)) == 1


def test_silent_devices_are_marked_offline(session: Session, engine) -> None:  # type: ignore[no-untyped-def]
    from facility.core.config import Settings
    from facility.sensors.tasks import mark_silent_devices_offline

    quiet, chatty = make_device(session), make_device(session)
    quiet.last_seen_at = T0 - timedelta(hours=1)
    chatty.last_seen_at = T0
    session.add_all([quiet, chatty])
    session.commit()
    assert mark_silent_devices_offline(engine, Settings(), T0 + timedelta(minutes=1)) == 1
    session.refresh(quiet)
    session.refresh(chatty)
    assert (quiet.online, chatty.online) == (False, True)


def test_dead_letters_with_nul_bytes_are_stored(session: Session) -> None:
    from facility.sensors.models import DeadLetter
    from facility.sensors.service import DeadLetterIn, record_dead_letters

    record_dead_letters(
        session, [DeadLetterIn("facility/a/b/c", b'{"metrics": \x00}', "bad_json", '{"metrics": \x00', T0)], "gw"
    )
    session.commit()
    (letter,) = session.exec(select(DeadLetter)).all()
    assert "\x00" not in letter.payload and letter.payload.startswith('{"metrics": ')


def test_last_seen_is_written_when_it_moved_on_by_the_refresh_not_with_every_batch(session: Session) -> None:
    device = make_device(session, metrics="co2")
    device.last_seen_at = T0
    session.add(device)
    session.commit()

    def batch_at(seconds: float) -> datetime:
        ts = T0 + timedelta(seconds=seconds)
        service.record_batch(session, [Reading(device.code, "edu", "X-1", "co2", 500, ts)], now=ts)
        session.commit()
        session.refresh(device)
        return device.last_seen_at

    step = service.LAST_SEEN_REFRESH.total_seconds()
    assert batch_at(step / 2) == T0  # twice a second: no write
    assert batch_at(step) == T0 + timedelta(seconds=step)
    assert batch_at(step * 1.5) == T0 + timedelta(seconds=step)
    # A new metric is a change of its own: written at once, last seen with it.
    ts = T0 + timedelta(seconds=step * 1.6)
    service.record_batch(session, [Reading(device.code, "edu", "X-1", "temperature", 21, ts)], now=ts)
    session.commit()
    session.refresh(device)
    assert (device.metrics, device.last_seen_at) == ("co2,temperature", ts)
