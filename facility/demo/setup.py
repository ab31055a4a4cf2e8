"""What `facility demo` and `facility demo-data` set up: the demo accounts, the demo campus with
its past, and the services that run beside the web app (the CLI only parses and prints)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from facility.core.config import Settings, using
from facility.core.db import engine_for, session_scope
from facility.core.models import Role

# The demo's scheduler ticks faster so generated work shows up while someone is looking.
TICK_SECONDS = 5


def load_demo(settings: Settings) -> tuple[dict[str, int], float]:
    """The whole demo with its past (readings through the configured store); counts and seconds."""
    import time

    from facility.demo.load import load_demo_readings, load_whole_demo
    from facility.sensors.store import open_store

    started = time.perf_counter()
    engine = engine_for(settings)
    with using(settings):
        with session_scope(engine) as session:
            counts = load_whole_demo(session)
        store = open_store(settings)
        try:
            counts["sensor points written"] = load_demo_readings(engine, store)
        finally:
            store.close()
    return counts, time.perf_counter() - started


def ensure_demo_accounts(settings: Settings) -> dict[str, tuple[str, str]]:
    """One account per role with a fresh password each run; returns role -> (email, password)."""
    from facility.core import accounts
    from facility.core.security import hash_password

    created: dict[str, tuple[str, str]] = {}
    with session_scope(engine_for(settings)) as session:
        for role in Role:
            email = f"{role.value}@demo.facility.kr"
            password = secrets.token_urlsafe(9)
            user = accounts.get_user_by_email(session, email)
            if user is None:
                org_id = None
                if role == Role.renter:
                    org_id = accounts.create_organization(
                        session,
                        None,
                        name="서초교육봉사단 (demo)",
                        kind=accounts.OrgKind.nonprofit,
                        business_number="214-82-00003",
                        contact_email=email,
                        approved=True,
                    ).id
                accounts.create_user(
                    session,
                    None,
                    email=email,
                    password=password,
                    role=role,
                    full_name=f"Demo {role.value}",
                    organization_id=org_id,
                )
            else:
                user.password_hash = hash_password(password)
                session.add(user)
            created[role.value] = (email, password)
    return created


def background_services(settings: Settings) -> list[Callable[[], None]]:
    """Start what the domains and the scheduler run beside the web app in the demo; returns their stoppers."""
    from facility.booking import demo_runtime as booking_demo
    from facility.domains import JOBS
    from facility.maintenance import demo_runtime as maintenance_demo
    from facility.scheduler import SchedulerRunner
    from facility.sensors import demo_runtime as sensors_demo

    stoppers = [booking_demo.start(settings), sensors_demo.start(settings), maintenance_demo.start(settings)]
    runner = SchedulerRunner(settings, JOBS, tick_seconds=TICK_SECONDS)
    runner.start()
    return [*stoppers, runner.stop]
