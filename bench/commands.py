"""Benchmark: a campus at 08:00, every room's thermostat set at once, the simulator answering.

Starts its own Mosquitto (the shipped config and ACL), a gateway in this process and the actuator
simulator; a fresh SQLite file by default, or a fresh database on PostgreSQL with --pg. Sets N
thermostats' setpoints in one transaction (as `energy` would) and prints, per command, the time
from the desired row's commit to its confirmation (which includes the publish and the device's
answer through ingest), p50/p99, and how many never confirmed (lost). Run from the repo root:

    .venv/bin/python bench/commands.py [--rooms 250] [--profile zigbee2mqtt] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from facility.core.config import SensorSettings, Settings  # noqa: E402
from facility.core.db import get_engine, session_scope, upgrade_database, utcnow  # noqa: E402
from facility.domains import import_all_models  # noqa: E402
from facility.sensors import desired  # noqa: E402
from facility.sensors.actuator_simulator import ActuatorSimulator, SimulatedActuator  # noqa: E402
from facility.sensors.command_models import DesiredState  # noqa: E402
from facility.sensors.models import Device  # noqa: E402
from gateway.runner import Gateway  # noqa: E402
from tests.keys import TEST_SECRET_KEY  # noqa: E402
from tests.sensors.services import Mosquitto  # noqa: E402

# How long a command may take before the bench counts it lost.
LOST_AFTER_S = 30.0


def database(root: Path, pg: str | None) -> str:
    import_all_models()
    if not pg:
        url = f"sqlite:///{root / 'bench.db'}"
    else:
        name = f"bench_commands_{uuid.uuid4().hex[:8]}"
        with create_engine(pg, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = pg.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    return url


def own_id(profile: str, n: int) -> str:
    return f"TRV-{n:03d}" if profile != "facility" else f"th-{n:03d}"


def thermostats(url: str, rooms: int, profile: str) -> list[int]:
    with Session(get_engine(url)) as session:
        devices = [
            Device(
                code=f"{profile}:{own_id(profile, n)}" if profile != "facility" else own_id(profile, n),
                profile=profile,
                reported_building="edu",
                reported_room=f"R-{n:03d}",
            )
            for n in range(rooms)
        ]
        session.add_all(devices)
        session.commit()
        return [d.id for d in devices if d.id is not None]


def set_all(url: str, device_ids: list[int], setpoint: float) -> datetime:
    with session_scope(get_engine(url)) as session:
        for device_id in device_ids:
            desired.set_desired(
                session,
                device_id=device_id,
                channel="setpoint",
                value=setpoint,
                actor="system:bench",
                source="automation",
            )
    return utcnow()


def outcome(url: str) -> list[DesiredState]:
    with Session(get_engine(url)) as session:
        return list(session.exec(select(DesiredState).where(col(DesiredState.kind) == "setpoint")))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=250)
    parser.add_argument("--profile", default="zigbee2mqtt", choices=("zigbee2mqtt", "facility"))
    parser.add_argument("--pg", help="a PostgreSQL admin URL (a fresh database is made); default: SQLite")
    args = parser.parse_args()
    channel_profile = args.profile
    root = Path(tempfile.mkdtemp(prefix="bench-commands-"))
    broker = Mosquitto(root / "mosquitto")
    broker.start()
    url = database(root, args.pg)
    device_ids = thermostats(url, args.rooms, channel_profile)
    simulator = ActuatorSimulator(
        broker.simulator_url,
        [
            SimulatedActuator(channel_profile, own_id(channel_profile, n), "edu", f"R-{n:03d}")
            for n in range(args.rooms)
        ],
    )
    simulator.start()
    settings = Settings(database_url=url, data_dir=root, secret_key=TEST_SECRET_KEY, mqtt_url=broker.url)
    gateway = Gateway(settings, SensorSettings(gateway_client_id="bench-commands"))
    gateway.start()
    try:
        while not (gateway.connection.connected.is_set() and simulator.subscribed.is_set()):
            time.sleep(0.05)
        committed = set_all(url, device_ids, 21.5)
        started = time.monotonic()
        gateway.commander.wake()
        rows: list[DesiredState] = []
        while time.monotonic() - started < LOST_AFTER_S:
            rows = outcome(url)
            if all(r.state == "confirmed" for r in rows):
                break
            time.sleep(0.1)
        confirmed = [r for r in rows if r.state == "confirmed" and r.confirmed_at]
        latencies = [(r.confirmed_at - committed).total_seconds() for r in confirmed if r.confirmed_at]
        applied_twice = sum(1 for count in simulator.applied.values() if count > 1)
        print(f"{args.rooms} thermostats ({channel_profile}) on {'PostgreSQL' if args.pg else 'SQLite'}")
        print(
            f"desired committed -> confirmed: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies, default=0) * 1000:.0f} ms"
        )
        print(
            f"confirmed {len(confirmed)} of {len(rows)}; lost {len(rows) - len(confirmed)}; "
            f"sent {gateway.commander.sent}; applied twice {applied_twice}; "
            f"mean {statistics.fmean(latencies) * 1000 if latencies else float('nan'):.0f} ms"
        )
    finally:
        gateway.stop()
        simulator.stop()
        broker.stop()
        if args.pg:
            get_engine(url).dispose()
            with create_engine(args.pg, isolation_level="AUTOCOMMIT").connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
