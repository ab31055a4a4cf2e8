"""Polls every plant device of the mapping file on its points' intervals and spools what it read.

One asyncio loop on its own thread holds every link; each (device, interval) is its own task, so
an unreachable device only delays itself. A poll is bounded by the device's timeout per request;
its raw values (and the points the device answered with an error) become one spooled message on
`$plant/<protocol>/<device>`, which the writer stores through the plant profile like any broker
message: scale, unit, range, dead letters. A device going silent or coming back is reported as
its status once, on the change, not on every poll.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from facility.sensors.profiles.plant import PlantConfig, PlantDevice, PlantPoint
from gateway import metrics
from gateway.plant.bacnet import BacnetLink, local_application
from gateway.plant.base import PlantLink, PlantUnreachable, PlantWriteRefused
from gateway.plant.modbus import ModbusLink
from gateway.spool import Spool

log = logging.getLogger(__name__)

# A write waits this long for the device at most, beyond the device's own request timeout.
WRITE_SLACK_S = 1.0
# Stopping waits this long for the loop's tasks to finish their request.
STOP_TIMEOUT_S = 5.0


def group_by_interval(device: PlantDevice) -> dict[float, list[PlantPoint]]:
    """The device's points polled together: those sharing an interval."""
    groups: dict[float, list[PlantPoint]] = {}
    for point in device.points:
        if point.metric is not None:
            groups.setdefault(point.interval_s, []).append(point)
    return groups


class PlantPoller:
    def __init__(self, config: PlantConfig, spool: Spool, on_spooled: Callable[[], None] = lambda: None) -> None:
        self.config = config
        self.spool = spool
        self.on_spooled = on_spooled
        self.links: dict[tuple[str, str], PlantLink] = {}
        # Polls by (protocol, device, outcome): ok, unreachable.
        self.polls: Counter[tuple[str, str, str]] = Counter()
        self._online: dict[tuple[str, str], bool] = {}
        # Called on the poller's thread with each answered poll's raw values (commands confirm by it).
        self.on_values: Callable[[PlantDevice, Sequence[PlantPoint], dict[str, Any]], None] | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._application: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._thread = threading.Thread(target=self._run, name="gateway-plant", daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout=STOP_TIMEOUT_S * 2)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=STOP_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - stopping anyway
            log.exception("plant pollers did not stop cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=STOP_TIMEOUT_S)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        self._loop.close()

    async def _open(self) -> None:
        for device in self.config.devices:
            if device.protocol == "modbus":
                self.links[("modbus", device.name)] = ModbusLink(device)
            else:
                if self._application is None:
                    self._application = local_application(self.config.bacnet_address, self.config.bacnet_instance)
                self.links[("bacnet", device.name)] = BacnetLink(device, self._application)
        for link in self.links.values():
            for interval, points in group_by_interval(link.device).items():
                self._tasks.append(self._loop.create_task(self._poll_every(link, points, interval)))

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for link in self.links.values():
            await link.close()
        if self._application is not None:
            self._application.close()

    # --- polling -----------------------------------------------------------------------------

    async def _poll_every(self, link: PlantLink, points: Sequence[PlantPoint], interval_s: float) -> None:
        next_at = time.monotonic()
        while True:
            try:
                await self.poll_once(link, points)
            except Exception:  # noqa: BLE001 - one device's surprise never ends its polling
                log.exception("plant poll of %s %s failed", link.protocol, link.device.name)
            next_at += interval_s
            # After a long outage, poll at once and keep the rhythm from now, not a burst.
            next_at = max(next_at, time.monotonic())
            await asyncio.sleep(next_at - time.monotonic())

    async def poll_once(self, link: PlantLink, points: Sequence[PlantPoint]) -> None:
        """Read the points and spool what was read; an unreachable device is counted and marked offline."""
        device = link.device
        key = (device.protocol, device.name)
        ts = time.time_ns() // 1_000_000
        # Each request is bounded by the timeout; the whole poll too, whatever the stack does.
        bound = device.timeout_s * (len(points) + 1)
        try:
            result = await asyncio.wait_for(link.read(points), bound)
        except (PlantUnreachable, TimeoutError) as error:
            self._count(device, "unreachable")
            if self._online.get(key) is not False:
                log.warning("plant device %s %s unreachable: %s", device.protocol, device.name, str(error)[:200])
                self._online[key] = False
                self._spool(device, {"ts": ts, "online": False})
            return
        self._count(device, "ok")
        body: dict[str, Any] = {"ts": ts, "values": result.values}
        if result.errors:
            body["errors"] = result.errors
        if self._online.get(key) is not True:
            self._online[key] = True
            body["online"] = True
        self._spool(device, body)
        if self.on_values is not None:
            self.on_values(device, points, result.values)

    def _count(self, device: PlantDevice, outcome: str) -> None:
        self.polls[(device.protocol, device.name, outcome)] += 1
        metrics.PLANT_POLLS.labels(device.protocol, outcome).inc()

    def _spool(self, device: PlantDevice, body: dict[str, Any]) -> None:
        self.spool.append_local(device.topic, json.dumps(body, separators=(",", ":")).encode())
        self.on_spooled()

    # --- writing -----------------------------------------------------------------------------

    def point(self, protocol: str, device_name: str, point_name: str) -> tuple[PlantLink, PlantPoint]:
        """The link and point a write names; KeyError says which is not in the mapping file."""
        link = self.links.get((protocol, device_name))
        if link is None:
            raise KeyError(f"no {protocol} device {device_name!r} in the mapping file")
        point = link.device.point(point_name)
        if point is None:
            raise KeyError(f"{protocol} device {device_name!r} has no point {point_name!r}")
        return link, point

    def channel_point(self, protocol: str, code: str, channel: str) -> tuple[PlantDevice, PlantPoint] | None:
        """The device and point whose readings carry `code` and that name `channel`."""
        for (link_protocol, _name), link in self.links.items():
            for point in link.device.points:
                if link_protocol == protocol and point.channel == channel and link.device.code(point) == code:
                    return link.device, point
        return None

    def write_point(self, protocol: str, device_name: str, point_name: str, value: float | bool | None) -> None:
        """Write a value (in the point's engineering unit) to a writable point, from any thread;
        None relinquishes a BACnet point's priority. Raises PlantWriteRefused or PlantUnreachable."""
        future = self.submit_write(protocol, device_name, point_name, value)
        link, _point = self.point(protocol, device_name, point_name)
        future.result(timeout=link.device.timeout_s + WRITE_SLACK_S)

    def submit_write(
        self, protocol: str, device_name: str, point_name: str, value: float | bool | None
    ) -> Future[None]:
        """`write_point` without waiting: the future holds the outcome."""
        link, point = self.point(protocol, device_name, point_name)
        if not point.writable:
            raise PlantWriteRefused(f"{protocol} point {device_name}/{point_name} is not writable (writable: true)")
        return asyncio.run_coroutine_threadsafe(self._write(link, point, value), self._loop)

    async def _write(self, link: PlantLink, point: PlantPoint, value: float | bool | None) -> None:
        try:
            await asyncio.wait_for(link.write(point, value), link.device.timeout_s + WRITE_SLACK_S / 2)
        except TimeoutError as error:
            metrics.PLANT_WRITES.labels(link.protocol, "unreachable").inc()
            raise PlantUnreachable(f"{link.device.name}: the write was not answered") from error
        except Exception:
            metrics.PLANT_WRITES.labels(link.protocol, "refused").inc()
            raise
        metrics.PLANT_WRITES.labels(link.protocol, "ok").inc()
        log.info("wrote %r to %s %s/%s", value, link.protocol, link.device.name, point.name)
        if point.metric is not None:  # read it back now: the reading confirms the write
            await self.poll_once(link, [point])
