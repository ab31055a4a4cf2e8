"""`facility scheduler` as real processes: one tick, and two running schedulers on one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from facility.core.db import get_engine
from tests.test_cli import run_cli


@pytest.mark.usefixtures("upgraded_dir")  # tmp_path holds what `facility db upgrade` leaves
def test_scheduler_once_then_nothing_due(tmp_path: Path) -> None:
    first = run_cli("scheduler", "--once", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "maintenance.occurrences" in first.stdout and "maintenance.escalate" in first.stdout
    again = run_cli("scheduler", "--once", data_dir=tmp_path)
    assert "예정된 작업 없음" in again.stdout


def _read_lines(proc: subprocess.Popen[str], lines: list[str]) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)


@pytest.mark.usefixtures("upgraded_dir")  # tmp_path holds what `facility db upgrade` leaves
def test_two_scheduler_processes_share_one_schedule(tmp_path: Path) -> None:
    env = {**os.environ, "FACILITY_DATA_DIR": str(tmp_path)}
    env.pop("FACILITY_DATABASE_URL", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "facility.cli", "scheduler", "--tick", "0.3"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    logs: list[list[str]] = [[], []]
    readers = [threading.Thread(target=_read_lines, args=pair) for pair in zip(procs, logs, strict=True)]
    for reader in readers:
        reader.start()
    # Start-up takes seconds on a busy machine: count the four seconds from when both run.
    deadline = time.monotonic() + 90
    while not all(any("started" in line for line in lines) for lines in logs) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(4)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc, reader in zip(procs, readers, strict=True):
        proc.wait(timeout=20)
        reader.join(timeout=20)
        assert proc.returncode == 0, logs
    # Both processes ticked about a dozen times; the 60 s job ran once, in one of them.
    runs = ["".join(lines).count("job maintenance.occurrences ran") for lines in logs]
    assert sorted(runs) == [0, 1], logs
    engine = get_engine(f"sqlite:///{(tmp_path / 'facility.db').resolve()}")
    with engine.connect() as connection:
        holders = dict(connection.execute(text("SELECT name, holder FROM scheduler_state")).tuples().all())
        escalations = connection.execute(
            text("SELECT count(*) FROM audit_entry WHERE action LIKE '%escalate%'")
        ).scalar()
    # Each job's lease is on its own row, and every one was handed back when its run ended.
    assert "maintenance.occurrences" in holders and "__lease__" not in holders
    assert set(holders.values()) == {""}
    assert escalations == 0
