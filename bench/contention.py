"""Benchmark: booking requests under contention on PostgreSQL, beside /healthz of the same app.

A fresh PostgreSQL database with the demo campus and one renter organisation per client; the app
runs as `facility serve` in its own process, as in production. For each client count (50, 100, 200
by default) every client, in a closed loop for a fixed time, asks for a two-hour slot in one of a
few rooms on the open weekdays of a fresh week (many lose: 409); then the same clients call
`GET /healthz` for the same time. Prints requests per second, p50/p99, counts by status, and the
CPU time per request of the server and, for a booking, of PostgreSQL on this machine (steady where
the rates move with the machine's other load).

    .venv/bin/python bench/contention.py
    .venv/bin/python bench/contention.py --clients 120 --seconds 5 --orgs 2
    .venv/bin/python bench/contention.py --against ../main   # before and after, in one run
    .venv/bin/python bench/contention.py --workers 1         # one web process instead of one per core
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import uvloop
from sqlalchemy import create_engine, text
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facility.booking.demo import load_demo_fees  # noqa: E402
from facility.booking.rules import closed_days  # noqa: E402
from facility.core.db import get_engine, upgrade_database  # noqa: E402
from facility.core.models import Organization, User  # noqa: E402
from facility.core.security import hash_password, issue_token  # noqa: E402
from facility.demo.load import load_demo_campus  # noqa: E402
from facility.rooms.models import Room  # noqa: E402

SEOUL = ZoneInfo("Asia/Seoul")
PG_ADMIN_URL = os.environ.get("FACILITY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Random per run: the settings refuse a placeholder key.
SECRET = secrets.token_urlsafe(48)
# Two-hour slots a renter may ask for, on every weekday the Institute rents of the week raced for.
SLOT_HOURS = (8, 10, 12, 14, 16, 18, 20)
TIMEOUT = "timeout"
# A request unanswered this long counts as a timeout (the hang this bench was written to catch).
REQUEST_TIMEOUT_S = 30


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    name = f"facility_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, orgs: int, rooms: int) -> tuple[list[str], list[int]]:
    """The demo campus and `orgs` approved renter organisations; returns renter tokens and rooms."""
    with Session(get_engine(url)) as session:
        load_demo_campus(session)
        load_demo_fees(session)
        password = hash_password("bench-password")
        renters = []
        for i in range(orgs):
            org = Organization(name=f"renter org {i}", status="approved")
            session.add(org)
            session.flush()
            renter = User(email=f"renter{i}@bench.kr", password_hash=password, role="renter", organization_id=org.id)
            session.add(renter)
            renters.append(renter)
        session.commit()
        room_ids = list(
            session.exec(select(Room.id).where(col(Room.kind) == "seminar_room").order_by(Room.id).limit(rooms))
        )
        return [issue_token(SECRET, r.id) for r in renters], room_ids  # type: ignore[arg-type]


def cpu_seconds_of(stat: str) -> float:
    """User and system CPU seconds of a process, from its /proc/<pid>/stat line."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`facility serve` in a child process."""

    def __init__(
        self, url: str, data_dir: str, env: dict[str, str] | None = None, code: Path = ROOT, workers: int = 1
    ) -> None:
        self.port = free_port()
        # The server's log is kept (a worker's failure mid-run must be readable afterwards); a file,
        # not a pipe, which an access log would fill with nobody reading it.
        self.log = Path(data_dir) / f"serve-{self.port}.log"
        print(f"server log: {self.log}", file=sys.stderr)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "facility.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            env={
                **os.environ,
                "FACILITY_DATABASE_URL": url,
                "FACILITY_SECRET_KEY": SECRET,
                "FACILITY_DATA_DIR": data_dir,
                "PYTHONPATH": str(code),
                **(env or {}),
            },
            cwd=code,
            stderr=self.log.open("ab"),
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90  # a loaded machine imports slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError(f"server did not start: see {self.log}")

    def cpu_seconds(self) -> float:
        """CPU time the server's processes (the supervisor and its workers) have used so far (Linux
        /proc; 0 elsewhere). Per request it compares builds on a machine whose other load makes
        wall-clock rates noisy."""
        total, pids = 0.0, [self.process.pid]
        while pids:
            pid = pids.pop()
            try:
                total += cpu_seconds_of(Path(f"/proc/{pid}/stat").read_text())
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pids += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
        return total

    @staticmethod
    def database_cpu_seconds() -> float:
        """CPU time PostgreSQL's processes on this machine have used so far (Linux /proc; 0 for a
        database elsewhere): what a request costs the database, which the server's figure leaves
        out."""
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            if "(postgres)" in text:
                total += cpu_seconds_of(text)
        return total

    def stop(self) -> float:
        """SIGTERM; the seconds it took to exit."""
        started = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - started


@dataclass
class Outcome:
    """What a phase's requests got back and how long each took."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    database_cpu_seconds: float = 0.0
    statuses: Counter[int | str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.count if self.count else 0.0

    @property
    def database_cpu_ms_per_request(self) -> float:
        return 1000 * self.database_cpu_seconds / self.count if self.count else 0.0

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if isinstance(status, int) and status >= 500)


def open_weekdays(url: str, week: date) -> list[date]:
    """The week's weekdays the Institute rents (a public holiday would answer a cheap 422)."""
    days = [week + timedelta(days=n) for n in range(5)]
    with Session(get_engine(url)) as session:
        closed = closed_days(session, days[0], days[-1])
    return [day for day in days if day not in closed]


def full_weeks(url: str, first: date) -> Iterator[list[date]]:
    """The open weekdays of successive weeks with all five open: a phase on a week with a public
    holiday would race for fewer slots than the others (the turns must be alike)."""
    week = first
    while True:
        days = open_weekdays(url, week)
        if len(days) == 5:
            yield days
        week += timedelta(weeks=1)


def booking_body(chooser: random.Random, days: list[date], room_ids: list[int]) -> dict[str, object]:
    day = chooser.choice(days)
    start = datetime(day.year, day.month, day.day, chooser.choice(SLOT_HOURS), tzinfo=SEOUL)
    return {
        "room_id": chooser.choice(room_ids),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "title": "race",
        "attendees": 5,
    }


class Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator must cost far less than the server
    it measures (an httpx client per task spends more CPU on set-up than a /healthz costs)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        fields = dict(
            line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line
        )  # a bench-only parse: no chunked bodies here
        length = int({k.strip().lower(): v for k, v in fields.items()}.get(b"content-length", b"0"))
        await self.reader.readexactly(length)
        if b"connection: close" in head.lower():
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


Request = Callable[[Connection, int, random.Random], Awaitable[int]]


async def closed_loop(base: str, clients: int, seconds: float, request: Request) -> Outcome:
    """`clients` connections, each sending its next request when the last one is answered."""
    host, port = base.removeprefix("http://").split(":")
    outcome = Outcome()
    stop_at = time.monotonic() + seconds

    async def one_client(n: int) -> None:
        chooser = random.Random(n)
        connection = Connection(host, int(port))
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status: int | str = await asyncio.wait_for(request(connection, n, chooser), REQUEST_TIMEOUT_S)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                status = TIMEOUT
                connection.close()
            outcome.latencies.append(time.perf_counter() - started)
            outcome.statuses[status] += 1
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in range(clients)))
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_bookings(
    base: str, tokens: list[str], clients: int, seconds: float, days: list[date], rooms: list[int]
) -> Outcome:
    async def book(connection: Connection, n: int, chooser: random.Random) -> int:
        headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}", "Content-Type": "application/json"}
        body = json.dumps(booking_body(chooser, days, rooms)).encode()
        return await connection.request("POST", "/api/v1/bookings", headers, body)

    return uvloop.run(closed_loop(base, clients, seconds, book))


def run_health(base: str, clients: int, seconds: float) -> Outcome:
    async def health(connection: Connection, _n: int, _chooser: random.Random) -> int:
        return await connection.request("GET", "/healthz", {})

    return uvloop.run(closed_loop(base, clients, seconds, health))


def statuses(outcome: Outcome) -> str:
    return " ".join(f"{status}:{n}" for status, n in sorted(outcome.statuses.items(), key=lambda kv: str(kv[0])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="50,100,200", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--orgs", type=int, default=200, help="renter organisations (clients share them)")
    parser.add_argument("--rooms", type=int, default=4, help="rooms raced for")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="`facility serve --workers` (web processes); by default one per core, as deploy/ runs it",
    )
    parser.add_argument(
        "--against", type=Path, help="another checkout of facility, served beside this one and measured in turns"
    )
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    with fresh_database() as url:
        tokens, rooms = seed(url, args.orgs, args.rooms)
        today = datetime.now(SEOUL).date()
        first_week = today + timedelta(days=21 - today.weekday())
        builds = [("this", ROOT)] + ([(str(args.against), args.against)] if args.against else [])
        servers = [
            (name, Server(url, tempfile.mkdtemp(prefix="bench-"), code=code, workers=args.workers))
            for name, code in builds
        ]
        rows = []
        weeks = full_weeks(url, first_week)
        try:
            for clients in counts:
                # Builds take turns at each client count, on weeks of their own.
                for name, server in servers:
                    days = next(weeks)
                    used, database_used = server.cpu_seconds(), Server.database_cpu_seconds()
                    bookings = run_bookings(server.base, tokens, clients, args.seconds, days, rooms)
                    bookings.cpu_seconds, used = server.cpu_seconds() - used, server.cpu_seconds()
                    bookings.database_cpu_seconds = Server.database_cpu_seconds() - database_used
                    health = run_health(server.base, clients, args.seconds)
                    health.cpu_seconds = server.cpu_seconds() - used
                    rows.append((name, clients, bookings, health))
                    print(
                        f"{name}, {clients} clients: bookings {bookings.per_second:.0f}/s [{statuses(bookings)}], "
                        f"healthz {health.per_second:.0f}/s [{statuses(health)}]",
                        flush=True,
                    )
        finally:
            stopped = [server.stop() for _name, server in servers]
    print(
        f"\n{len(tokens)} renter organisations, {len(rooms)} rooms, {args.seconds:.0f} s per phase, "
        f"{args.workers} web worker(s), {os.cpu_count()} cores"
    )
    print(
        "| build | clients | bookings/s | p50 ms | p99 ms | 201 | 409 | 503 | other | 5xx | /healthz/s | share "
        "| server CPU ms per booking | per /healthz | database CPU ms per booking |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, clients, bookings, health in rows:
        other = bookings.count - sum(bookings.statuses[s] for s in (201, 409, 503))
        print(
            f"| {name} | {clients} | {bookings.per_second:.0f} | {bookings.percentile(0.5):.0f} | "
            f"{bookings.percentile(0.99):.0f} | {bookings.statuses[201]} | {bookings.statuses[409]} | "
            f"{bookings.statuses[503]} | {other} | {bookings.server_errors()} | {health.per_second:.0f} | "
            f"{bookings.per_second / health.per_second:.0%} | {bookings.cpu_ms_per_request:.1f} | "
            f"{health.cpu_ms_per_request:.2f} | {bookings.database_cpu_ms_per_request:.2f} |"
        )
    print("SIGTERM to exit: " + ", ".join(f"{t:.1f} s" for t in stopped))


if __name__ == "__main__":
    main()
