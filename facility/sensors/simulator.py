"""`facility simulate`: realistic readings for every sensor of the demo campus, over MQTT.

Temperature follows the day, occupancy follows a timetable of classes (and bookings, when the
booking domain answers), CO2 rises with the people in a room and decays with ventilation; now and
then a device reports a fault or sends a malformed payload, as real ones do.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.engine import Engine

from facility.core.db import session_scope, utcnow
from facility.sensors.bookings import rooms_in_use
from facility.sensors.broker_url import BrokerAddress, make_client
from facility.sensors.demo_devices import DemoDevice

log = logging.getLogger(__name__)
SEOUL = ZoneInfo("Asia/Seoul")
OUTDOOR_CO2 = 420.0
BAD_PAYLOADS = (
    b'{"metrics": {"temperature": ',
    b"\xff\xfe\x00",
    b'{"metrics": {"co2": -40}}',
    b'{"metrics": {"radon": 12}}',
    b"NaN",
)


@dataclass
class RoomState:
    co2: float = OUTDOOR_CO2 + 40
    temperature: float = 21.0
    energy: float = 0.0
    fault_until: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


def in_class(device: DemoDevice, local: datetime) -> bool:
    """A timetable of 2-hour blocks, different per room, on weekdays 09-18 (demo occupancy)."""
    if local.weekday() >= 5 or not 9 <= local.hour < 18:
        return False
    block = (local.hour - 9) // 2
    return (zlib.crc32(f"{device.room_code}:{local.date()}:{block}".encode()) % 100) < 55


class Simulator:
    def __init__(
        self,
        devices: list[DemoDevice],
        *,
        interval_s: float = 10.0,
        bad_rate: float = 0.002,
        fault_rate: float = 0.0005,
        seed: int | None = None,
    ) -> None:
        self.devices = devices
        self.interval_s = interval_s
        self.bad_rate = bad_rate
        self.fault_rate = fault_rate
        self.random = random.Random(seed)
        self.state: dict[str, RoomState] = {}
        # Rooms held now by a booking or an Institute block; None = follow the demo timetable.
        self.busy: set[int] | None = None

    def occupied(self, device: DemoDevice, local: datetime) -> bool:
        """Booked rooms fill up (one booking-hour in ten is a no-show); now and then people
        use a room nobody booked."""
        if self.busy is None:
            return in_class(device, local)
        slot = zlib.crc32(f"{device.room_code}:{local.date()}:{local.hour}".encode()) % 100
        return slot >= 10 if device.room_id in self.busy else slot < 1

    def values(self, device: DemoDevice, now: datetime, step_s: float) -> dict[str, float]:
        state = self.state.setdefault(device.code, RoomState(temperature=20.5 + self.random.random()))
        local = now.astimezone(SEOUL)
        occupied = self.occupied(device, local)
        people = round(device.capacity * self.random.uniform(0.5, 0.95)) if occupied else 0
        hour = local.hour + local.minute / 60
        target = 21.0 + 1.5 * math.sin((hour - 9) / 24 * 2 * math.pi) + min(3.0, people * 0.04)
        state.temperature += (target - state.temperature) * min(1.0, step_s / 900)
        # Each person breathes out ~0.3 L CO2 a minute; ventilation replaces the room's air slowly.
        volume = max(60.0, device.capacity * 8.0)
        # Air changes differ per room: some rooms are poorly ventilated and cross 1,000 ppm.
        ventilation = 0.0006 + (zlib.crc32(device.room_code.encode()) % 10) * 0.0001
        state.co2 += step_s * (people * 5.0 / volume - (state.co2 - OUTDOOR_CO2) * ventilation)
        state.co2 = max(OUTDOOR_CO2, state.co2)
        noise = self.random.gauss
        everything = {
            "temperature": state.temperature + noise(0, 0.1),
            "humidity": 45 + 8 * math.sin(hour / 24 * 2 * math.pi) + noise(0, 1),
            "co2": state.co2 + noise(0, 8),
            "pm25": max(0.0, 12 + noise(0, 3)),
            "pm10": max(0.0, 25 + noise(0, 5)),
            "illuminance": (480 + noise(0, 20)) if occupied else max(0.0, 40 + noise(0, 5)),
            "noise": (55 + noise(0, 4)) if occupied else 32 + noise(0, 2),
            "occupancy": 1.0 if occupied else 0.0,
            "people_count": float(people),
            "ph": 7.2 + noise(0, 0.05),
            "water_temperature": 27.5 + noise(0, 0.1),
            "free_chlorine": 0.7 + noise(0, 0.04),
            "ups_load": 42 + noise(0, 2),
            "power": 1500 + noise(0, 50) + people * 60,
            "water_leak": 0.0,
            "equipment_status": 0.0,
        }
        if device.code.startswith("rack-"):
            everything["temperature"] = 23 + noise(0, 0.3)
        if time.monotonic() < state.fault_until:
            everything["equipment_status"] = 2.0
        elif "equipment_status" in device.metrics and self.random.random() < self.fault_rate:
            state.fault_until = time.monotonic() + 600
        state.energy += everything["power"] * step_s / 3_600_000
        everything["energy"] = state.energy
        return {m: round(everything[m], 3) for m in device.metrics}

    def messages(self, device: DemoDevice, now: datetime, step_s: float) -> list[tuple[str, bytes]]:
        base = f"facility/{device.building}/{device.room_code}/{device.code}"
        if self.random.random() < self.bad_rate:
            return [(base, self.random.choice(BAD_PAYLOADS))]
        values = self.values(device, now, step_s)
        ts = now.isoformat(timespec="milliseconds")
        if device.code.startswith("pool-"):
            # The pool controller publishes one topic per metric, with bare numbers.
            return [(f"{base}/{metric}", f"{value}".encode()) for metric, value in values.items()]
        return [(base, json.dumps({"ts": ts, "metrics": values}).encode())]


class SimulatorRunner:
    """Publishes every device once per interval, spread evenly, until stopped."""

    def __init__(
        self,
        url: str,
        simulator: Simulator,
        *,
        client_id: str = "facility-simulator",
        busy_rooms: Callable[[], set[int]] | None = None,
    ) -> None:
        self.simulator = simulator
        self.busy_rooms = busy_rooms
        self.client = make_client(url, client_id)
        # Wide window: the simulator stands in for hundreds of devices at once.
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(1, 10)
        self.stop_event = threading.Event()
        # paho queues a publish made while it opens the socket ahead of its CONNECT (the broker then
        # drops the connection and one message is never answered), so nothing is sent before CONNACK.
        self.connected = threading.Event()
        # Counted from the broker's PUBACKs (QoS 1), not from our calls: a broker that refuses
        # the account or its topics (MQTT 5 reason codes) must not read as "published".
        self.sent = self.published = 0
        self.refused: Counter[str] = Counter()
        self.connect_refused = ""
        self.client.on_publish = self._on_publish
        self.client.on_connect = self._on_connect
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
        self._url = url

    def start(self) -> None:
        address = BrokerAddress.parse(self._url)
        self.client.connect_async(address.host, address.port)
        self.client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self._thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()

    def _on_publish(self, _client: Any, _userdata: Any, _mid: int, reason: ReasonCode, _properties: Any) -> None:
        if reason.is_failure:
            self.refused[str(reason)] += 1
        else:
            self.published += 1

    def _on_connect(self, _client: Any, _userdata: Any, _flags: Any, reason: ReasonCode, _properties: Any) -> None:
        self.connect_refused = str(reason) if reason.is_failure else ""
        if not reason.is_failure:
            self.connected.set()

    def _publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain)
        self.sent += 1

    def settle(self, timeout_s: float) -> None:
        """Wait, at most `timeout_s`, for the broker to acknowledge or refuse what was sent."""
        deadline = time.monotonic() + timeout_s
        if self.stop_event.is_set() and self._thread.is_alive():
            # A cycle under way may still send after the stop was asked: count those too.
            self._thread.join(timeout=timeout_s)
        while self.published + self.refused.total() < self.sent and time.monotonic() < deadline:
            time.sleep(0.05)

    def _refresh_busy(self) -> None:
        if self.busy_rooms is None:
            return
        try:
            self.simulator.busy = self.busy_rooms()
        except Exception:  # noqa: BLE001 - keep the last known bookings
            log.exception("could not read bookings for the simulator")

    def _run(self) -> None:
        while not self.connected.wait(0.1):
            if self.stop_event.is_set():
                return
        devices = self.simulator.devices
        for device in devices:
            topic = f"facility/{device.building}/{device.room_code}/{device.code}/status"
            self._publish(topic, b"online", retain=True)
        gap = self.simulator.interval_s / max(1, len(devices))
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            self._refresh_busy()
            for device in devices:
                if self.stop_event.is_set():
                    return
                now = datetime.now(UTC)
                for topic, payload in self.simulator.messages(device, now, self.simulator.interval_s):
                    self._publish(topic, payload)
                next_at += gap
                self.stop_event.wait(max(0.0, next_at - time.monotonic()))


def busy_rooms_reader(engine: Engine) -> Callable[[], set[int]]:
    """Rooms a booking or block holds right now, read fresh each simulator cycle."""

    def read() -> set[int]:
        with session_scope(engine, write=False) as session:
            return rooms_in_use(session, utcnow())

    return read
