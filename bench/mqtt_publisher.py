"""The benches' load: QoS 1 PUBLISH packets over a raw MQTT 3.1.1 socket, PUBACKs counted by size.

Why not paho: its publish path costs ~85 µs of CPU a message, several times what either consumer
under test spends on one, so on a two-core machine the bench measured its own publishers (and
whichever consumer left them more CPU). Packets built with `struct` and sent in bursts cost ~10 µs,
so the consumers are what is measured. Keep-alive is off, so nothing but PUBACKs (4 bytes each in
3.1.1) comes back on the socket.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from collections.abc import Callable
from datetime import UTC, datetime

from facility.sensors.broker_url import BrokerAddress

BURST = 100  # packets per send
PUBACK = 4  # bytes


def _utf8(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def packet(first: int, body: bytes) -> bytes:
    """A control packet: type and flags, the remaining length as a variable byte integer, body."""
    n, length = len(body), bytearray()
    while True:
        n, byte = divmod(n, 128)
        length.append(byte | (0x80 if n else 0))
        if not n:
            return bytes([first]) + bytes(length) + body


def connect_packet(client_id: str, username: str | None, password: str | None) -> bytes:
    flags = 0x02 | (0x80 if username else 0) | (0x40 if password else 0)  # clean session
    body = _utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", 0) + _utf8(client_id)  # keep-alive off
    return packet(0x10, body + (_utf8(username) if username else b"") + (_utf8(password) if password else b""))


def payload_now(i: int) -> bytes:
    """A facility reading stamped now (microseconds, as sensors send it)."""
    now = datetime.now(UTC).isoformat(timespec="microseconds").encode()
    return b'{"value": %d, "ts": "%s"}' % (400 + i % 1000, now)


class Publisher:
    """One connection publishing QoS 1 with at most `inflight` messages unacknowledged."""

    def __init__(self, url: str, inflight: int) -> None:
        address = BrokerAddress.parse(url)
        self.sock = socket.create_connection((address.host, address.port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(connect_packet(f"bench-publisher-{os.getpid()}", address.username, address.password))
        connack = self.sock.recv(4)
        if connack[:1] != b"\x20" or connack[3:4] != b"\x00":
            raise RuntimeError(f"broker refused the publisher: {connack!r}")
        self.inflight, self.sent, self.acked, self._partial = inflight, 0, 0, 0

    def run(
        self,
        seconds: float,
        rate: float,
        topic: Callable[[int], str],
        progress: Callable[[int], None],
        topics: int,
    ) -> None:
        """Publish for `seconds`, flat out (rate 0) or paced at `rate` a second, then wait up to
        10 s for the last PUBACKs; `progress(acked)` now and then. `topic(i)` repeats every `topics`."""
        encoded = [_utf8(topic(i)) for i in range(topics)]
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            room = self.inflight - (self.sent - self.acked)
            if rate:
                room = min(room, int(elapsed * rate) - self.sent)
            if room > 0:
                burst = []
                for _ in range(min(room, BURST)):
                    i = self.sent
                    body = encoded[i % topics] + struct.pack("!H", i % 65535 + 1) + payload_now(i)
                    burst.append(packet(0x32, body))  # PUBLISH, QoS 1
                    self.sent += 1
                self.sock.sendall(b"".join(burst))
                progress(self.acked)
            self._read_acks(0 if room > 0 else 0.0005)
        deadline = time.monotonic() + 10
        while self.acked < self.sent and time.monotonic() < deadline:
            self._read_acks(0.05)
        progress(self.acked)
        self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        self.sock.close()

    def _read_acks(self, wait: float) -> None:
        if select.select([self.sock], [], [], wait)[0]:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("the broker closed the publisher's connection")
            self._partial += len(data)
            self.acked += self._partial // PUBACK
            self._partial %= PUBACK
