"""Benchmark: the device placement page and a device's room suggestions with a flood of
unassigned devices (10,000 by default, as a hostile discovery source could announce), on
PostgreSQL through the real app. Prints p50/p95; run from the repo root:

    .venv/bin/python bench/devices.py [--devices 10000] [--requests 20] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench.maintenance import PASSWORD, campus  # noqa: E402
from facility.app import create_app  # noqa: E402
from facility.core.config import Settings  # noqa: E402
from facility.core.db import get_engine, upgrade_database  # noqa: E402
from facility.core.models import Role, User  # noqa: E402
from facility.core.security import hash_password  # noqa: E402
from facility.sensors.models import Device  # noqa: E402


def flood(url: str, devices: int) -> int:
    """A campus of rooms, a manager, and `devices` unassigned discovered devices; returns one id."""
    with Session(get_engine(url)) as session:
        rooms = campus(session)
        session.add(
            User(
                email="manager@bench.kr",
                password_hash=hash_password(PASSWORD),
                role=Role.manager.value,
                full_name="bench",
            )
        )
        session.flush()
        rows = [
            {
                "code": f"homeassistant:flood-{n:05d}",
                "reported_building": "",
                "reported_room": rooms[n % len(rooms)].code if n % 3 == 0 else f"node-{n}",
                "metrics": "temperature",
                "profile": "homeassistant",
            }
            for n in range(devices)
        ]
        session.connection().execute(insert(Device.__table__), rows)  # type: ignore[attr-defined]
        session.commit()
        session.connection().execute(text("ANALYZE"))
        session.commit()
        return session.exec(select(Device.id).order_by(Device.code)).first() or 0


def timed(client: TestClient, path: str, requests: int) -> tuple[list[float], list[int]]:
    timings, statuses = [], []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        statuses.append(response.status_code)
    return sorted(timings), statuses


def report(label: str, measured: tuple[list[float], list[int]]) -> None:
    timings, statuses = measured
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    refused = [s for s in statuses if s != 200]
    failed = f", {len(refused)} answered {sorted(set(refused))}" if refused else ""
    print(f"  {label}: p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms ({len(timings)} requests{failed})")


def run(url: str, data_dir: Path, devices: int, requests: int) -> None:
    upgrade_database(url)
    device_id = flood(url, devices)
    with TestClient(
        create_app(Settings(database_url=url, data_dir=data_dir, secret_key=secrets.token_urlsafe(48)))
    ) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"email": "manager@bench.kr", "password": PASSWORD, "csrf_token": token})
        print(f"PostgreSQL, {devices} unassigned devices:")
        report("/sensors/devices", timed(client, "/sensors/devices", requests))
        report("room suggestions", timed(client, f"/api/v1/devices/{device_id}/room-suggestions", requests))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20, help="requests per page")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    name = f"facility_bench_{uuid.uuid4().hex[:8]}"
    url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(url, Path(tmp), args.devices, args.requests)
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
