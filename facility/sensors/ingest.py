"""The one ingest entry point: spooled MQTT messages in, readings stored and registered out.

The gateway keeps the broker, the spool and the retry loop; everything after the spool happens
here, in this order: the profiles parse each message (unreadable ones become dead letters), the
readings go to the store (points it refuses are isolated by halving the batch and become dead
letters with the store's reason, the rest is written), then one transaction updates the device
registry, runs the alert rules and records the dead letters. A batch may be retried whole: the
store overwrites the same points (same series and timestamp) and the transaction either happened
or did not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy.engine import Engine

from facility.core.db import session_scope
from facility.sensors import service
from facility.sensors.encoders import Encoders, Report
from facility.sensors.parsing import EPOCH, RawFields, Reading, StatusUpdate, read_plain_single, received_datetime
from facility.sensors.profiles import ProfileSet, Subscription
from facility.sensors.service import DeadLetterIn
from facility.sensors.store import ReadingStore, StoreRejected

MICROSECOND = timedelta(microseconds=1)


class Arrived(Protocol):
    """A message as Ingest reads it: the gateway hands its spool rows over as they are (no
    datetime is made of a receive time unless a message needs one)."""

    @property
    def topic(self) -> str: ...

    @property
    def payload(self) -> bytes: ...

    @property
    def received_us(self) -> int: ...


class Message(NamedTuple):
    """One message received at a datetime (a tuple: cheap to make by the thousand)."""

    topic: str
    payload: bytes
    received_at: datetime

    @property
    def received_us(self) -> int:
        return (self.received_at - EPOCH) // MICROSECOND


@dataclass
class Batch:
    readings: list[Reading] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    dead: list[DeadLetterIn] = field(default_factory=list)
    # Per parsed message, where its readings end in `readings`: a refused point is traced to it.
    ends: list[int] = field(default_factory=list)
    # Devices heard with fields no profile reads (registered with them).
    raw: list[RawFields] = field(default_factory=list)


class Ingest:
    def __init__(
        self,
        store: ReadingStore,
        engine: Engine,
        source: str,
        profiles: ProfileSet | None = None,
        encoders: Encoders | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.source = source
        self.profiles = profiles or ProfileSet.default()
        # Actuators' answers (commands, docs/sensors.md) are heard here, as readings come through,
        # and handed to whoever confirms commands (the gateway's commander).
        self.encoders = encoders
        self.on_reports: Callable[[list[Report]], None] = lambda reports: None

    def subscriptions(self) -> list[Subscription]:
        """What the gateway subscribes to: every enabled profile's filters and announced topics."""
        return self.profiles.subscriptions()

    def parse(self, messages: Sequence[Arrived]) -> Batch:
        """Readings, statuses and dead letters of the messages; never raises."""
        batch = Batch()
        reports: list[Report] = []
        encoders = self.encoders
        deaf = encoders.deaf if encoders is not None else frozenset()
        own_path = self.profiles.own_metric_path
        readings = batch.readings
        for message in messages:
            topic = message.topic
            # The fast lane: a plain reading on one of our own metric topics (no actuator answers
            # there) is read without the profile dispatch; anything else takes the full path.
            if encoders is None or topic in deaf:
                path = own_path(topic)
                if path is not None:
                    reading = read_plain_single(path, message.payload, message.received_us)
                    if reading is not None:
                        readings.append(reading)
                        batch.ends.append(len(readings))
                        continue
            received_at = received_datetime(message.received_us)
            heard = None if encoders is None or topic in deaf else encoders.heard(topic, message.payload)
            if heard is not None:
                reports.extend(heard.reports)
                if heard.follow:
                    self.profiles.on_announce([Subscription(topic) for topic in heard.follow])
                if heard.exclusive:  # a command answer only: no reading profile's business
                    batch.ends.append(len(batch.readings))
                    continue
            outcome = self.profiles.parse(message.topic, message.payload, received_at)
            batch.readings.extend(outcome.readings)
            batch.ends.append(len(batch.readings))
            if outcome.status is not None:
                batch.statuses.append(outcome.status)
            if outcome.raw:
                batch.raw.extend(outcome.raw)
            if heard is not None and not outcome.profile:
                continue  # an answer topic no reading profile knows is not a dead letter
            for rejection in outcome.rejections:
                batch.dead.append(
                    DeadLetterIn(
                        message.topic,
                        message.payload,
                        rejection.reason,
                        rejection.detail,
                        received_at,
                        outcome.profile,
                    )
                )
        if reports:
            self.on_reports(reports)
        return batch

    def write(self, messages: Sequence[Arrived]) -> Batch:
        """Parse, store, then register, alert and dead-letter in one transaction; raises to retry."""
        batch = self.store_batch(messages)
        self.record(batch)
        return batch

    def store_batch(self, messages: Sequence[Arrived]) -> Batch:
        """The first half of `write`: parse and write the readings to the store (raises to retry).
        The gateway stores the next batch while `record` of this one runs."""
        batch = self.parse(messages)
        try:
            self.store.write(batch.readings)
        except StoreRejected:
            self._write_isolating(messages, batch)
        return batch

    def _write_isolating(self, messages: Sequence[Arrived], batch: Batch) -> None:
        """Halve the refused batch until each refusal is one message's: that message becomes a
        dead letter with the store's reason, every other reading is written (StoreUnavailable
        still propagates: a store that went down meanwhile is retried whole)."""
        kept: list[Reading] = []

        def write(first: int, last: int) -> None:  # messages[first:last]
            readings = batch.readings[batch.ends[first - 1] if first else 0 : batch.ends[last - 1]]
            if not readings:
                return
            try:
                self.store.write(readings)
            except StoreRejected as error:
                if last - first > 1:
                    middle = (first + last) // 2
                    write(first, middle)
                    write(middle, last)
                    return
                message = messages[first]
                profile = self.profiles.profile_of(message.topic)
                received_at = received_datetime(message.received_us)
                batch.dead.append(
                    DeadLetterIn(
                        message.topic, message.payload, "store_rejected", str(error)[:200], received_at, profile
                    )
                )
                return
            kept.extend(readings)

        write(0, len(messages))
        batch.readings = kept

    def record(self, batch: Batch) -> None:
        """The second half of `write`, after the store has the readings: registry, alerts and
        dead letters in one transaction, which happened whole or not at all (raises to retry)."""
        with session_scope(self.engine) as session:
            service.record_batch(session, batch.readings, batch.statuses, raw=batch.raw)
            service.record_dead_letters(session, batch.dead, self.source)

    def dead_letter(self, message: Arrived, error: Exception) -> DeadLetterIn:
        """A message whose write keeps failing for reasons of its own: kept as a dead letter."""
        profile = self.profiles.profile_of(message.topic)
        received_at = received_datetime(message.received_us)
        letter = DeadLetterIn(message.topic, message.payload, "internal_error", repr(error)[:200], received_at, profile)
        with session_scope(self.engine) as session:
            service.record_dead_letters(session, [letter], self.source)
        return letter
