"""`facility serve --workers N`: N one-process servers on one port, each listening on a socket of
its own, and this process supervising them.

Why not uvicorn's own `--workers`: it hands every worker one shared listening socket, and
whichever worker woke first accepted most of a burst of new connections (200 clients connecting
at once split 169 to 31), which keep-alive then kept on the busy worker for the whole rush. Each
worker here binds the port with SO_REUSEPORT, so the kernel spreads new connections evenly.

The supervisor forwards SIGTERM and SIGINT to every worker and waits for them (each finishes its
requests within `FACILITY_SHUTDOWN_GRACE_S`). A worker that exits, or cannot start (the database
had no connection left for it), is started again after a backoff that doubles with each failure
in a row, while the others keep serving: workers degrade one at a time. Only when every worker
has failed its very first start (exited before it reported, through a pipe, that it serves) with
an exit a restart cannot mend (a bad setting, a schema not migrated, a port it cannot bind) does
the supervisor stop, with that exit code.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)
# The exits of `facility serve` (cli.py) that a restart cannot mend: a setting or the schema (2),
# the port (3).
HOPELESS_EXITS = frozenset({2, 3})
# The wait before a restart: the first, doubled per failed start in a row, up to the last.
BACKOFF_S = (1.0, 30.0)
# How long the workers get to stop, beyond their own grace, before they are killed.
STOP_MARGIN_S = 10.0


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to the port that other processes may bind too (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class ReportingServer(uvicorn.Server):
    """A uvicorn server that tells its supervisor, through a pipe, once it serves: how the
    supervisor tells a worker that failed to start from one that ran (an import takes seconds
    or a minute, depending on the machine's load, so no clock can)."""

    def __init__(self, config: uvicorn.Config, ready_fd: int | None) -> None:
        super().__init__(config)
        self.ready_fd = ready_fd

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.ready_fd is not None:
            os.write(self.ready_fd, b"1")
            os.close(self.ready_fd)
            self.ready_fd = None


def backoff_s(failures: int) -> float:
    """The wait before starting a worker again after `failures` failed starts in a row."""
    first, most = BACKOFF_S
    return min(most, first * 2**failures)


class Slot:
    """One worker's place: its current process, and whether that process has reported it serves."""

    def __init__(self, worker_args: list[str]) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        command = [sys.executable, "-m", "facility.cli", *worker_args, "--ready-fd", str(write)]
        self.process = subprocess.Popen(command, pass_fds=(write,))
        os.close(write)
        self.pipe, self.ready = read, False

    def poll_ready(self) -> bool:
        if not self.ready:
            try:
                self.ready = os.read(self.pipe, 1) == b"1"
            except BlockingIOError:
                pass
        return self.ready

    def close(self) -> None:
        os.close(self.pipe)


def supervise(worker_args: list[str], workers: int, grace_s: float) -> int:
    """Run `facility <worker_args>` `workers` times until a signal stops them; the exit code."""
    slots = {number: Slot(worker_args) for number in range(workers)}
    failures = dict.fromkeys(slots, 0)  # failed starts in a row
    sound: set[int] = set()  # slots whose worker has once reported it serves
    hopeless: dict[int, int] = {}  # slots whose first start failed with a HOPELESS_EXITS code
    due: dict[int, float] = {}  # slots waiting out their backoff: when to start again
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping:
        time.sleep(0.2)
        now = time.monotonic()
        for number, slot in slots.items():
            if number in due:
                continue
            exited = slot.process.poll()
            if slot.poll_ready() and number not in sound:
                sound.add(number)
                hopeless.pop(number, None)
            if exited is None:
                continue
            failures[number] = 0 if slot.ready else failures[number] + 1
            if not slot.ready and number not in sound and failures[number] == 1 and exited in HOPELESS_EXITS:
                hopeless[number] = exited
            if len(hopeless) == workers:
                log.error("every worker failed its start (exit %s): stopping", exited)
                code, stopping = exited, True
                break
            wait = backoff_s(failures[number])
            log.warning("worker %s exited (%s): starting another in %.0f s", slot.process.pid, exited, wait)
            due[number] = now + wait
        for number, when in list(due.items()):
            if not stopping and now >= when:
                del due[number]
                slots[number].close()
                slots[number] = Slot(worker_args)
    for slot in slots.values():
        if slot.process.poll() is None:
            slot.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s + STOP_MARGIN_S
    for slot in slots.values():
        try:
            slot.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            slot.process.kill()
            slot.process.wait()
        slot.close()
    return code
