"""`facility scheduler`: the one process that runs every domain's scheduled jobs."""

from __future__ import annotations

import argparse
import signal
import threading

from facility.core.config import load_settings


def cmd_scheduler(args: argparse.Namespace) -> None:
    from facility.core.db import get_engine
    from facility.maintenance.scheduler import SchedulerRunner, run_tick

    settings = load_settings()
    if args.once:
        ran = run_tick(get_engine(settings.sqlalchemy_url), settings)
        print("another scheduler holds the lock" if ran is None else f"ran: {', '.join(ran) or 'nothing due'}")
        return
    runner = SchedulerRunner(settings, tick_seconds=args.tick)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    runner.start()
    stopped.wait()
    runner.stop()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("scheduler", help="run scheduled jobs (exactly one acts at a time)")
    parser.add_argument("--once", action="store_true", help="run one tick and exit")
    parser.add_argument("--tick", type=float, default=15.0, help="seconds between ticks")
    parser.set_defaults(func=cmd_scheduler)
