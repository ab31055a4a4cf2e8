"""`facility simulate`: publish realistic readings for every sensor of the demo campus."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from facility.core.config import active_settings
from facility.core.db import engine_for, session_scope
from facility.core.i18n import gettext as _
from facility.sensors.actuator_simulator import ActuatorSimulator
from facility.sensors.demo_actuators import place_demo_thermostats, simulated_actuators
from facility.sensors.demo_devices import demo_devices, place_demo_devices
from facility.sensors.plant_simulator import PlantSimulator, mapping_example
from facility.sensors.simulator import Simulator, SimulatorRunner, busy_rooms_reader

# After the last publish, how long the broker has to acknowledge what is in flight.
SETTLE_S = 10.0


def cmd_simulate(args: argparse.Namespace) -> None:
    settings = active_settings()
    url = args.url or settings.mqtt_url
    if not url:
        raise SystemExit(_("error: {message}", message=_("set FACILITY_MQTT_URL or pass --url mqtt://host:port")))
    with session_scope(engine_for(settings)) as session:
        if args.place:
            place_demo_devices(session)
            place_demo_thermostats(session)
        devices = demo_devices(session)
        actuators = simulated_actuators(session) if args.actuators else []
    if not devices:
        raise SystemExit(_("error: {message}", message=_("no rooms: run `facility demo-data` first")))
    simulator = Simulator(
        devices, interval_s=args.interval, bad_rate=args.bad_rate, fault_rate=args.fault_rate, seed=args.seed
    )
    busy = None if args.timetable else busy_rooms_reader(engine_for(settings))
    runner = SimulatorRunner(url, simulator, client_id=args.client_id, busy_rooms=busy)
    plant = start_plant(args) if args.plant else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    where = url.split("@")[-1]
    print(_("simulating {n} sensors every {s} s to {where}", n=len(devices), s=f"{args.interval:g}", where=where))
    runner.start()
    players = ActuatorSimulator(url, actuators, client_id=f"{args.client_id}-actuators") if actuators else None
    if players is not None:
        print(_("playing {n} actuators (relays answer, thermostats warm their rooms)", n=len(actuators)))
        players.start()
        threading.Thread(target=players.run_thermal, args=(stop, args.interval), daemon=True).start()
    started = time.monotonic()
    deadline = started + args.seconds if args.seconds else None
    while not stop.wait(min(10.0, max(0.0, deadline - time.monotonic())) if deadline else 10.0):
        print(progress(runner, time.monotonic() - started), flush=True)
        if deadline and time.monotonic() >= deadline:
            break
    runner.stop_event.set()
    runner.settle(SETTLE_S)
    runner.stop()
    if players is not None:
        players.stop()
    if plant:
        plant.stop()
    print(progress(runner, time.monotonic() - started), flush=True)
    if not runner.published and (runner.sent or runner.connect_refused):
        reason = runner.connect_refused or ", ".join(runner.refused) or _("no acknowledgement")
        print(
            "error: " + _("the broker stored none of {sent} messages ({reason}).", sent=runner.sent, reason=reason),
            file=sys.stderr,
        )
        raise SystemExit(1)


def start_plant(args: argparse.Namespace) -> PlantSimulator:
    """The Modbus meter and the BACnet air handler, and the mapping file section that reads them."""
    plant = PlantSimulator(host=args.plant_host, modbus_port=args.modbus_port, bacnet_port=args.bacnet_port)
    try:
        plant.start()
    except OSError as error:
        raise SystemExit(_("error: {message}", message=str(error))) from None
    print(
        _(
            "plant: Modbus meter on {host}:{modbus}, BACnet air handler on {host}:{bacnet}; "
            "a mapping file that reads them:",
            host=args.plant_host,
            modbus=args.modbus_port,
            bacnet=args.bacnet_port,
        )
    )
    print(mapping_example(args.plant_host, args.modbus_port, args.bacnet_port, args.bacnet_port + 1))
    return plant


def progress(runner: SimulatorRunner, elapsed_s: float) -> str:
    """What the broker acknowledged, and what it refused and why: never our own count of calls."""
    line = _(
        "published {published} of {sent} messages ({rate:.0f}/s acknowledged by the broker)",
        published=runner.published,
        sent=runner.sent,
        rate=runner.published / max(elapsed_s, 0.001),
    )
    refusals = [f"{count} {reason}" for reason, count in runner.refused.items()]
    if runner.connect_refused:
        refusals.append(_("connection refused: {reason}", reason=runner.connect_refused))
    return line + ("; " + _("refused: {refusals}", refusals=", ".join(refusals)) if refusals else "")


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
    simulate.add_argument(
        "--no-actuators",
        dest="actuators",
        action="store_false",
        help=_("do not play the actuators (devices with desired states answer their commands by default)"),
    )
    simulate.add_argument(
        "--seconds", type=float, default=0, help=_("stop after this long (default: run until stopped)")
    )
    simulate.add_argument(
        "--plant", action="store_true", help=_("also run a Modbus TCP meter and a BACnet/IP air handler")
    )
    simulate.add_argument("--plant-host", default="127.0.0.1", help=_("address the plant devices listen on"))
    simulate.add_argument(
        "--modbus-port", type=int, default=5020, help=_("Modbus TCP port of the meter (default 5020)")
    )
    simulate.add_argument(
        "--bacnet-port", type=int, default=47809, help=_("BACnet/IP UDP port of the air handler (default 47809)")
    )
    simulate.set_defaults(func=cmd_simulate)
