"""Migration 0017 on a database the old code ran: the cursor becomes handled marks, and open work
orders the old read-then-insert doubled keep one holder of their source before the unique index."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from facility.core.db import alembic_config

WORK_ORDER = (
    "INSERT INTO mnt_work_order (title, description, status, priority, source, source_key, needs_room,"
    " minutes_spent, created_at, updated_at) VALUES ('t', '', :status, 'high', 'alert', :key, false, 0,"
    " '2026-03-01 00:00:00', '2026-03-01 00:00:00')"
)
ALERT = (
    "INSERT INTO alert (rule, metric, severity, state, message, raised_at)"
    " VALUES ('co2_high', 'co2', 'warning', 'active', 'm', '2026-03-01 00:00:00')"
)


def test_the_cursor_becomes_marks_and_doubled_open_work_orders_are_set_apart(fresh_url: str) -> None:
    url = fresh_url
    config = alembic_config(url)
    command.upgrade(config, "0016_outbox_lease")
    engine = create_engine(url)
    with engine.begin() as connection:
        for _ in range(3):
            connection.execute(text(ALERT))
        connection.execute(
            text("INSERT INTO scheduler_state (name, holder, cursor) VALUES ('maintenance.alerts.cursor', '', 2)")
        )
        for status in ("open", "assigned", "verified", "open"):
            connection.execute(text(WORK_ORDER), {"status": status, "key": "alert:co2_high:room:1"})
        connection.execute(text(WORK_ORDER), {"status": "open", "key": ""})
        connection.execute(text(WORK_ORDER), {"status": "open", "key": ""})
    command.upgrade(config, "head")
    with engine.connect() as connection:
        handled = connection.execute(
            text("SELECT id FROM alert WHERE work_order_handled_at IS NOT NULL ORDER BY id")
        ).scalars()
        assert list(handled) == [1, 2]
        assert connection.execute(text("SELECT count(*) FROM scheduler_state")).scalar() == 0
        keys = connection.execute(text("SELECT source_key FROM mnt_work_order ORDER BY id")).scalars().all()
    assert keys == [
        "alert:co2_high:room:1",
        "alert:co2_high:room:1#2",
        "alert:co2_high:room:1",  # verified: closed, not the source's open one
        "alert:co2_high:room:1#4",
        "",
        "",
    ]
    command.downgrade(config, "0016_outbox_lease")
    with engine.connect() as connection:
        cursor = connection.execute(text("SELECT cursor FROM scheduler_state")).scalar()
    assert cursor == 2
    engine.dispose()
