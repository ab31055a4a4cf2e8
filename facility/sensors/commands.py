"""`facility simulate`: publish realistic readings for every sensor of the demo campus."""

from __future__ import annotations

import argparse
import signal
import threading
import time

from facility.core.config import active_settings
from facility.core.db import engine_for, session_scope
from facility.core.i18n import gettext as _
from facility.sensors.demo_devices import demo_devices, place_demo_devices
from facility.sensors.simulator import Simulator, SimulatorRunner, busy_rooms_reader


def cmd_simulate(args: argparse.Namespace) -> None:
    settings = active_settings()
    url = args.url or settings.mqtt_url
    if not url:
        raise SystemExit(_("error: {message}", message=_("set FACILITY_MQTT_URL or pass --url mqtt://host:port")))
    with session_scope(engine_for(settings)) as session:
        if args.place:
            place_demo_devices(session)
        devices = demo_devices(session)
    if not devices:
        raise SystemExit(_("error: {message}", message=_("no rooms: run `facility demo-data` first")))
    simulator = Simulator(
        devices, interval_s=args.interval, bad_rate=args.bad_rate, fault_rate=args.fault_rate, seed=args.seed
    )
    busy = None if args.timetable else busy_rooms_reader(engine_for(settings))
    runner = SimulatorRunner(url, simulator, client_id=args.client_id, busy_rooms=busy)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    where = url.split("@")[-1]
    print(_("simulating {n} sensors every {s} s to {where}", n=len(devices), s=f"{args.interval:g}", where=where))
    runner.start()
    started = time.monotonic()
    while not stop.wait(10):
        rate = runner.published / (time.monotonic() - started)
        print(_("published {n} messages ({rate}/s)", n=runner.published, rate=f"{rate:.0f}"), flush=True)
    runner.stop()


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    simulate = commands.add_parser("simulate", help=_("publish demo sensor readings over MQTT"))
    simulate.add_argument("--url", help=_("broker URL (default: FACILITY_MQTT_URL)"))
    simulate.add_argument(
        "--interval", type=float, default=10.0, help=_("seconds between two reports of one device (default 10)")
    )
    simulate.add_argument(
        "--bad-rate", type=float, default=0.002, help=_("share of messages sent malformed (default 0.002)")
    )
    simulate.add_argument(
        "--fault-rate", type=float, default=0.0005, help=_("chance per report that equipment starts a 10-minute fault")
    )
    simulate.add_argument("--seed", type=int, default=None)
    simulate.add_argument(
        "--timetable", action="store_true", help=_("occupancy from a fixed class timetable instead of the bookings")
    )
    simulate.add_argument("--client-id", default="facility-simulator")
    simulate.add_argument("--place", action="store_true", help=_("also place the demo devices in their rooms"))
    simulate.set_defaults(func=cmd_simulate)
