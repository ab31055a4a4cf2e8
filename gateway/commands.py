"""The commander: publishes desired, unconfirmed states and confirms them from what devices report.

One thread, in a loop: record the reports ingest heard (confirming rows), claim what is due in a
short transaction, hand each claim to the sender registered for its device's profile (outside any
transaction), then record the sends in their own. Senders are a registry keyed by profile, so a
Modbus or BACnet writer is one `register` call, not a change to this loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

import paho.mqtt.client as mqtt
from sqlalchemy.engine import Engine

from facility.core.config import SensorSettings
from facility.core.db import session_scope, utcnow
from facility.sensors import command_queue
from facility.sensors.command_queue import Claim
from facility.sensors.encoders import Encoders, Report, Target

log = logging.getLogger(__name__)

# How often the loop looks for due commands when nothing wakes it: a command set on a page waits
# at most this long for the gateway (a set through the gateway's own process wakes it at once).
POLL_S = 0.25
# Devices with actuator channels are re-read this often, so a new one's answers are heard.
WATCH_REFRESH_S = 5.0
# The broker's PUBACK for a command: QoS 1, so an unacknowledged publish counts as not sent.
PUBLISH_TIMEOUT_S = 5.0


class CommandSender(Protocol):
    def send(self, claims: Sequence[Claim]) -> list[Claim]:
        """Deliver the commands; returns those delivered (the rest are released, not counted)."""
        ...


class SenderRegistry:
    """Which sender tells which profile's devices (MQTT ecosystems, later Modbus, BACnet)."""

    def __init__(self) -> None:
        self._senders: dict[str, CommandSender] = {}

    def register(self, profile: str, sender: CommandSender) -> None:
        self._senders[profile] = sender

    def sender_for(self, profile: str) -> CommandSender | None:
        return self._senders.get(profile)


class MqttSender:
    """Publishes through the gateway's own broker connection, QoS 1, waiting for the PUBACKs."""

    def __init__(self, client: mqtt.Client, encoders: Encoders) -> None:
        self.client = client
        self.encoders = encoders

    def send(self, claims: Sequence[Claim]) -> list[Claim]:
        published = []
        for claim in claims:
            target = Target(claim.code, claim.building, claim.room)
            outbound = self.encoders.command(claim.profile, target, claim.channel, claim.value)
            if outbound is None:
                continue  # cannot be told yet (its discovery config not seen): released
            info = self.client.publish(outbound.topic, outbound.payload, qos=1)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                published.append((claim, info))
        sent = []
        deadline = time.monotonic() + PUBLISH_TIMEOUT_S
        for claim, info in published:
            try:
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            except (RuntimeError, ValueError):
                continue
            if info.is_published():
                sent.append(claim)
        return sent


class Commander:
    def __init__(self, engine: Engine, settings: SensorSettings, encoders: Encoders, senders: SenderRegistry) -> None:
        self.engine = engine
        self.encoders = encoders
        self.senders = senders
        self.retry_after = timedelta(seconds=settings.command_retry_s)
        self.max_attempts = settings.command_max_attempts
        self.gap_s = settings.command_device_gap_s
        self._reports: deque[list[Report]] = deque()
        self._last_sent: dict[int, float] = {}  # device id -> monotonic time of its last command
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._reconnected = threading.Event()
        self._watched_at = 0.0
        self.sent = 0
        self.confirmed = 0
        self._thread = threading.Thread(target=self._run, name="gateway-commander", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        self._wake.set()

    def heard(self, reports: list[Report]) -> None:
        """Ingest's callback (the writer's thread): answers to confirm on the next turn."""
        self._reports.append(reports)
        self._wake.set()

    def connected(self) -> None:
        """The broker connection is (re)made: what was sent and not confirmed goes again."""
        self._reconnected.set()
        self._wake.set()

    # --- the loop ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.turn()
            except Exception:  # noqa: BLE001 - a database blip must not end the commander
                log.exception("command turn failed; retrying")
                self._stopping.wait(1.0)
            self._wake.wait(POLL_S)
            self._wake.clear()

    def turn(self) -> None:
        """One pass: watch list, reports, reconnect re-sends, claims, sends, records."""
        now_s = time.monotonic()
        if now_s - self._watched_at >= WATCH_REFRESH_S:
            with session_scope(self.engine, write=False) as session:
                self.encoders.watch(command_queue.watched_codes(session))
            self._watched_at = now_s
        self._record_reports()
        if self._reconnected.is_set():
            self._reconnected.clear()
            with session_scope(self.engine) as session:
                again = command_queue.resend_unconfirmed(session)
            if again:
                log.info("re-sending %d unconfirmed commands after connecting", again)
        self._last_sent = {d: at for d, at in self._last_sent.items() if now_s - at < self.gap_s}
        resting = list(self._last_sent)
        with session_scope(self.engine, write=False) as session:
            if not command_queue.anything_due(session, utcnow(), retry_after=self.retry_after):
                return
        with session_scope(self.engine) as session:
            claims, alerts = command_queue.claim_due(
                session, utcnow(), retry_after=self.retry_after, max_attempts=self.max_attempts, resting=resting
            )
        for alert in alerts:
            log.warning("device %s did not confirm %s: alert %s raised", alert.device_id, alert.metric, alert.id)
        if claims:
            # A device told something is heard from now on, not from the next refresh.
            if any(claim.code not in self.encoders.watched for claim in claims):
                self.encoders.watch([*self.encoders.watched, *(claim.code for claim in claims)])
            self._send(claims)

    def _record_reports(self) -> None:
        reports: list[Report] = []
        while self._reports:
            reports += self._reports.popleft()
        if reports:
            with session_scope(self.engine) as session:
                self.confirmed += len(command_queue.record_reports(session, reports, utcnow()))

    def _send(self, claims: list[Claim]) -> None:
        by_profile: dict[str, list[Claim]] = defaultdict(list)
        for claim in claims:
            by_profile[claim.profile].append(claim)
        sent: list[Claim] = []
        for profile, group in by_profile.items():
            sender = self.senders.sender_for(profile)
            if sender is None:
                log.warning("no sender for profile %s; %d commands wait", profile, len(group))
                continue
            try:
                sent += sender.send(group)
            except Exception:  # noqa: BLE001 - one protocol's failure must not stop the others
                log.exception("sender for %s failed", profile)
        delivered = {claim.id for claim in sent}
        unsent = [claim for claim in claims if claim.id not in delivered]
        now_s = time.monotonic()
        for claim in sent:
            self._last_sent[claim.device_id] = now_s
        with session_scope(self.engine) as session:
            command_queue.record_sent(session, sent, utcnow())
            command_queue.release(session, unsent)
        self.sent += len(sent)
