"""The domains in dependency order, written out: the modules that hold their tables, and their jobs.

The app factory includes each domain's routers by name (`facility/app.py`) and the CLI names
each domain's commands (`facility/cli.py`); a new domain is added here and there, by hand.
"""

from __future__ import annotations

from types import ModuleType

from facility.booking import models as booking_models
from facility.booking import queries as booking_queries
from facility.booking import rental_models as booking_rental_models
from facility.booking import room_panel
from facility.booking import tasks as booking_tasks
from facility.core import jobs as core_jobs
from facility.core import models as core_models
from facility.core import outbox as core_outbox
from facility.core import profile as core_profile
from facility.core import tasks as core_tasks
from facility.core.jobs import Job
from facility.energy import models as energy_models
from facility.energy import tasks as energy_tasks
from facility.maintenance import alerts as maintenance_alerts
from facility.maintenance import duty_models as maintenance_duty_models
from facility.maintenance import models as maintenance_models
from facility.maintenance import tasks as maintenance_tasks
from facility.rooms import models as rooms_models
from facility.rooms import views as rooms_views
from facility.sensors import alert_work
from facility.sensors import command_models as sensors_command_models
from facility.sensors import models as sensors_models
from facility.sensors import tasks as sensors_tasks

TABLE_MODULES: tuple[ModuleType, ...] = (
    core_models,
    core_jobs,
    core_outbox,
    rooms_models,
    booking_models,
    booking_rental_models,
    sensors_models,
    sensors_command_models,
    maintenance_models,
    maintenance_duty_models,
    energy_models,
)

# Every scheduled job, in dependency order: what `facility scheduler` runs.
JOBS: tuple[Job, ...] = (
    *core_tasks.JOBS,
    *booking_tasks.JOBS,
    *sensors_tasks.JOBS,
    *maintenance_tasks.JOBS,
    *energy_tasks.JOBS,
)


def import_all_models() -> tuple[ModuleType, ...]:
    """The modules whose import registered every table on SQLModel.metadata (for Alembic and tests)."""
    return TABLE_MODULES


def connect_domains() -> None:
    """Callbacks a lower domain calls into a higher one: sensors' alert pages ask maintenance for
    each alert's work order and whom its assignment rule names, a room's page shows booking's
    panel, and withdrawal asks booking whether bookings are still to come, without importing them."""
    alert_work.register_work_order_lookup(maintenance_alerts.work_orders_by_alert)
    alert_work.register_assignee_suggestion(maintenance_alerts.suggested_assignees)
    rooms_views.register_room_panel(room_panel.panel)
    core_profile.register_withdrawal_check(booking_queries.withdrawal_blocker)
