"""Desired states of plant points: the commander's sender for Modbus and BACnet devices, and the
reports that confirm them, made from every answered poll of a point that names a channel."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from facility.core.errors import InvalidInput
from facility.sensors.channels import canonical
from facility.sensors.command_queue import Claim
from facility.sensors.encoders import Report
from facility.sensors.parsing import Rejection, to_value
from facility.sensors.profiles.plant import PlantDevice, PlantPoint, scaled
from gateway.plant.poller import WRITE_SLACK_S, PlantPoller

log = logging.getLogger(__name__)


def written(channel: str, text: str) -> float | bool:
    """A desired value's canonical text as the point takes it: a relay on/off, else a number."""
    return text == "on" if channel.partition(":")[0] == "relay" else float(text)


class PlantSender:
    """Writes claimed desired values to the points carrying their channel (the commander's thread)."""

    def __init__(self, poller: PlantPoller, protocol: str) -> None:
        self.poller = poller
        self.protocol = protocol

    def send(self, claims: Sequence[Claim]) -> list[Claim]:
        writing: list[tuple[Claim, float, Future[None]]] = []
        for claim in claims:
            found = self.poller.channel_point(self.protocol, claim.code, claim.channel)
            if found is None:
                log.warning("%s has no point with channel %s in the mapping file", claim.code, claim.channel)
                continue
            device, point = found
            try:
                value = written(claim.channel, claim.value)
                future = self.poller.submit_write(self.protocol, device.name, point.name, value)
            except (ValueError, KeyError) as error:
                log.warning("%s %s=%s not written: %s", claim.code, claim.channel, claim.value, error)
                continue
            writing.append((claim, device.timeout_s + WRITE_SLACK_S, future))
        sent = []
        for claim, timeout_s, future in writing:  # the writes run side by side on the poller's loop
            try:
                future.result(timeout=timeout_s)
            except Exception as error:  # noqa: BLE001 - refused or unanswered: released, tried again
                log.warning("%s %s=%s not written: %s", claim.code, claim.channel, claim.value, error)
                continue
            sent.append(claim)
        return sent


def plant_reports(device: PlantDevice, points: Sequence[PlantPoint], values: dict[str, Any]) -> list[Report]:
    """What a poll says about the channels of its points, in the channels' canonical text."""
    reports = []
    for point in points:
        raw = values.get(point.name)
        if point.channel is None or point.metric is None or raw is None:
            continue
        try:
            if point.channel.startswith("relay"):
                value: float | bool = bool(raw)
            else:
                value = to_value(point.metric, scaled(raw, point.scale), point.unit)
            reports.append(Report(device.code(point), point.channel, canonical(point.channel, value)))
        except (Rejection, InvalidInput):
            continue  # a value the channel cannot hold: its reading is dead-lettered already
    return reports
