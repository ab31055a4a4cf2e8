"""One class owns the broker connection: MQTT v5, QoS 1, a persistent session, manual acks.

A message is handed to the spooler and acknowledged only after the spool committed it. paho's
network thread never waits on the disk: the spooler thread group-commits and then acks in
arrival order (MQTT requires PUBACKs in the order the PUBLISHes came).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from facility.sensors.broker_url import BrokerAddress, make_client
from gateway import metrics
from gateway.mqtt_client import GatewayClient
from gateway.spool import Incoming, Spool

log = logging.getLogger(__name__)

# The broker keeps our session (and queues readings for us) through a day of downtime: a restart,
# a night's outage. A session whose client id is no longer used stays in the share group, taking
# its share of readings, for as long: `facility gateway --retire-client-id OLD` ends it at once.
SESSION_EXPIRY_S = 24 * 3600
# Unacknowledged messages the broker may have in flight to us; wide enough that group commits
# of the spool, not round trips, set the pace.
RECEIVE_MAXIMUM = 1000
# Reconnect back-off bounds: quick after a blip, not hammering a broker that is down.
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 30
# Group commit: at most this many messages, or this long after the first one waits. A commit's
# fsync takes a few milliseconds, so under load groups fill while the previous one commits; the
# wait only matters at low rates, where it trades 2 ms of latency for fewer fsyncs. The group's
# PUBACKs leave in one write: a SIGKILL during it can cost at most one group's acknowledgements
# (resent by the broker; see the known limit in docs/sensors.md), so the group stays modest.
SPOOL_GROUP_MAX = 500
SPOOL_GROUP_WAIT_S = 0.002
# How long the idle spooler sleeps before it looks at the inbox again (paho wakes it sooner).
SPOOL_IDLE_S = 0.2
KEEPALIVE_S = 30
AUTH_FAILURES = {"Bad user name or password", "Not authorized", "Bad username or password"}


class AuthenticationFailed(RuntimeError):
    """The broker refused our credentials; retrying will not help."""


def retire_client_id(url: str, client_id: str, timeout_s: float = 10.0) -> None:
    """End the broker's persistent session of `client_id` (a gateway renamed or removed): connect
    as it with a clean start and no session expiry, then disconnect, so its subscriptions leave
    the share group and the broker stops queueing readings for it."""
    address = BrokerAddress.parse(url)
    client = make_client(url, client_id, mqtt.Client, **({} if address.protocol == "5" else {"clean_session": True}))
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    if address.protocol == "5":
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 0
        client.connect(address.host, address.port, KEEPALIVE_S, clean_start=True, properties=props)
    else:
        client.connect(address.host, address.port, KEEPALIVE_S)
    client.loop_start()
    try:
        if not connected.wait(timeout_s):
            raise TimeoutError(f"broker at {address.host}:{address.port} did not answer in {timeout_s}s")
    finally:
        client.disconnect()
        client.loop_stop()


class BrokerConnection:
    def __init__(
        self,
        url: str,
        client_id: str,
        spool: Spool,
        *,
        subscriptions: Callable[[], list[str]],
        status_topic: str,
        max_spool_bytes: int = 512 * 2**20,
        on_spooled: Callable[[], None] | None = None,
        on_connected: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        self.address = BrokerAddress.parse(url)
        self.client_id = client_id
        self.spool = spool
        # Asked on every connect: the profiles' filters and the topics devices announced since.
        self.subscriptions = subscriptions
        self.status_topic = status_topic
        self.max_spool_bytes = max_spool_bytes
        self.on_spooled = on_spooled or (lambda: None)
        # Told after every connect (the commander re-sends what the device may have missed).
        self.on_connected = on_connected or (lambda: None)
        self.v5 = self.address.protocol == "5"
        self.failure: str | None = None
        self.connected = threading.Event()
        # Set once the broker has acknowledged this connection's subscriptions: what devices
        # publish from then on reaches the gateway (tests wait for it before they publish).
        self.subscribed = threading.Event()
        self._generation = 0
        # paho's thread appends, the spooler pops: deque operations are atomic, and the spooler is
        # woken only when it sleeps on an empty inbox (not once per message, as a Queue would).
        self._inbox: deque[tuple[int, Incoming, int]] = deque()
        self._arrived = threading.Event()
        self._stopping = threading.Event()
        self._last_us = 0
        self.client = self._make_client()
        self._spooler = threading.Thread(target=self._spool_loop, name="gateway-spooler", daemon=True)

    def _make_client(self) -> GatewayClient:
        client = make_client(self.url, self.client_id, GatewayClient, manual_ack=True)
        assert isinstance(client, GatewayClient)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.will_set(self.status_topic, b"offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_publish_received = self._on_publish
        return client

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._spooler.start()
        if self.v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            props.ReceiveMaximum = RECEIVE_MAXIMUM
            self.client.connect_async(
                self.address.host,
                self.address.port,
                KEEPALIVE_S,
                clean_start=False,
                properties=props,
            )
        else:
            self.client.connect_async(self.address.host, self.address.port, KEEPALIVE_S)
        self.client.loop_start()

    def stop(self) -> None:
        """Publish offline, disconnect cleanly; unacked messages stay with the broker."""
        self._stopping.set()
        if self.connected.is_set():
            self.client.publish(self.status_topic, b"offline", qos=1, retain=True).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()
        self._spooler.join(timeout=5)

    # --- callbacks (paho's network thread) ---------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any = None) -> None:
        if reason.is_failure:
            text = str(reason)
            log.error("broker refused the connection: %s", text)
            if text in AUTH_FAILURES:
                self.failure = f"authentication failed at {self.address.host}:{self.address.port}: {text}"
                client.disconnect()
            return
        self._generation = self.spool.connection_started()
        self.subscribed.clear()
        self.connected.set()
        metrics.CONNECTED.set(1)
        # Resubscribe on every connect: the session may be new (expired, or a fresh broker).
        topics = self.subscriptions()
        client.subscribe([(topic, 1) for topic in topics])
        # A session kept from a build that let a device subscribe us to the whole broker.
        groups = {"/".join(t.split("/")[:2]) + "/" for t in topics if t.startswith("$share/")}
        client.unsubscribe([f for f in ("#", *(g + "#" for g in sorted(groups))) if f not in topics])
        client.publish(self.status_topic, b"online", qos=1, retain=True)
        self.on_connected()
        log.info(
            "connected to %s:%s as %s, subscribed to %s",
            self.address.host,
            self.address.port,
            self.client_id,
            ", ".join(topics),
        )

    def follow(self, topics: list[str]) -> None:
        """Subscribe now to topics a device announced; later connects include them anyway."""
        if topics and self.connected.is_set():
            self.client.subscribe([(topic, 1) for topic in topics])
            log.info("following announced topics %s", ", ".join(topics)[:300])

    def unfollow(self, topics: list[str]) -> None:
        """Unsubscribe announced topics no device needs any more (a removed discovery config)."""
        if topics and self.connected.is_set():
            self.client.unsubscribe(topics)
            log.info("no longer following %s", ", ".join(topics)[:300])

    def _on_subscribe(self, *_args: Any) -> None:
        self.subscribed.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any = None
    ) -> None:
        self.connected.clear()
        self.subscribed.clear()
        metrics.CONNECTED.set(0)
        if not self._stopping.is_set() and self.failure is None:
            log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_publish(self, topic: str, payload: bytes, mid: int, qos: int, dup: bool) -> None:
        # Only paho's thread runs this: the receive clock (microseconds, strictly increasing so
        # no two readings share a timestamp) needs no lock.
        now = time.time_ns() // 1000
        if now <= self._last_us:
            now = self._last_us + 1
        self._last_us = now
        generation = self._generation
        inbox = self._inbox
        inbox.append((generation, Incoming(topic, payload, now, mid, dup, generation), qos))
        if len(inbox) == 1:
            self._arrived.set()

    # --- the spooler thread ------------------------------------------------------------------

    def _next_group(self) -> list[tuple[int, Incoming, int]]:
        inbox = self._inbox
        if not inbox:
            self._arrived.wait(SPOOL_IDLE_S)
            self._arrived.clear()
            if not inbox:
                return []
        if len(inbox) < SPOOL_GROUP_MAX:
            time.sleep(SPOOL_GROUP_WAIT_S)
        count = min(len(inbox), SPOOL_GROUP_MAX)
        return [inbox.popleft() for _ in range(count)]

    def _wait_for_room(self) -> None:
        if self.spool.pending_bytes < self.max_spool_bytes:
            return
        metrics.SPOOL_FULL.set(1)
        log.error("spool full (%d bytes); holding acknowledgements until the store drains it", self.spool.pending_bytes)
        while self.spool.pending_bytes >= self.max_spool_bytes and not self._stopping.is_set():
            time.sleep(0.5)
        metrics.SPOOL_FULL.set(0)

    def _spool_loop(self) -> None:
        while not (self._stopping.is_set() and not self._inbox):
            group = self._next_group()
            if not group:
                continue
            self._wait_for_room()
            messages = [incoming for _, incoming, _ in group]
            duplicates = self.spool.duplicates
            try:
                ids = self.spool.append(messages)
            except Exception:  # noqa: BLE001 - not acked: the broker redelivers
                log.exception("could not spool %d messages; they stay unacknowledged", len(group))
                continue
            metrics.RECEIVED.inc(len(group))
            metrics.DUPLICATES.inc(self.spool.duplicates - duplicates)
            metrics.SPOOL_BYTES.set(self.spool.pending_bytes)
            acks, acked = [], []
            current = self._generation
            for (generation, incoming, qos), row_id in zip(group, ids, strict=True):
                # An ack for a message of an earlier connection means nothing to the broker,
                # which redelivers it on this one. A QoS 0 message is never sent again.
                if generation == current:
                    if qos:
                        acks.append((incoming.mid, qos))
                    if row_id is not None:
                        acked.append(row_id)
            self.client.ack_many(acks)
            self.spool.note_acked(acked)
            self.on_spooled()
