"""`facility serve --workers N`: N one-process servers on one port, each listening on a socket of
its own, and this process supervising them.

Why not uvicorn's own `--workers`: it hands every worker one shared listening socket, and
whichever worker woke first accepted most of a burst of new connections (200 clients connecting
at once split 169 to 31), which keep-alive then kept on the busy worker for the whole rush. Each
worker here binds the port with SO_REUSEPORT, so the kernel spreads new connections evenly.

The supervisor forwards SIGTERM and SIGINT to every worker and waits for them (each finishes its
requests within `FACILITY_SHUTDOWN_GRACE_S`); a worker that exits on its own is started again,
unless it fails within `FAST_FAILURE_S` of its start (a port in use, a bad setting), which stops
them all with its exit code.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
from types import FrameType

log = logging.getLogger(__name__)
# A worker that exits this soon after its start will not do better started again.
FAST_FAILURE_S = 10.0
# How long the workers get to stop, beyond their own grace, before they are killed.
STOP_MARGIN_S = 10.0


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to the port that other processes may bind too (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def supervise(worker_args: list[str], workers: int, grace_s: float) -> int:
    """Run `facility <worker_args>` `workers` times until a signal stops them; the exit code."""
    processes: dict[int, subprocess.Popen[bytes]] = {}
    started: dict[int, float] = {}
    stopping = False

    def start(slot: int) -> None:
        processes[slot] = subprocess.Popen([sys.executable, "-m", "facility.cli", *worker_args])
        started[slot] = time.monotonic()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(workers):
        start(slot)
    code = 0
    while not stopping:
        time.sleep(0.2)
        for slot, process in list(processes.items()):
            exited = process.poll()
            if exited is None or stopping:
                continue
            if time.monotonic() - started[slot] < FAST_FAILURE_S:
                log.error("worker %s failed at its start (exit %s): stopping", process.pid, exited)
                code, stopping = exited or 1, True
                break
            log.warning("worker %s exited (%s): starting another", process.pid, exited)
            start(slot)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s + STOP_MARGIN_S
    for process in processes.values():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return code
