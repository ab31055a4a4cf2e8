"""paho's client with less work per message, for the gateway's one busy subscription.

paho reads each packet with three `recv` calls (command byte, length byte, body) after a `select`,
runs every message through its topic-callback matcher, and sends each PUBACK as its own packet,
each with a wake-up byte to its own socket pair. At thousands of messages a second that is most
of paho's network thread. This subclass reads the socket in large chunks and parses packets out
of its own buffer, calls `on_message` directly (the gateway registers no per-topic callbacks),
and sends the acknowledgements of a whole spool group as one write.

It overrides three of paho's private methods; pyproject pins paho to the minor version they were
written against, and the gateway and fault tests run through them against a real Mosquitto.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

# Bytes asked of the socket per `recv`: a few hundred of our small PUBLISH packets.
RECV_CHUNK = 256 * 1024
PUBACK = 0x40
_PUBACK = struct.Struct("!BBH")


class GatewayClient(mqtt.Client):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._chunk = b""
        self._chunk_pos = 0
        self._chunk_sock: object = None

    def _buffered(self) -> bool:
        return self._chunk_sock is self._sock and self._chunk_pos < len(self._chunk)

    def _sock_recv(self, bufsize: int) -> bytes:
        """Serve paho's small reads from one large `recv` (a new socket starts a new buffer)."""
        if not self._buffered():
            data = super()._sock_recv(max(bufsize, RECV_CHUNK))
            if len(data) <= bufsize:
                self._chunk, self._chunk_pos = b"", 0
                return data  # b"" (connection closed) included
            self._chunk, self._chunk_pos, self._chunk_sock = data, 0, self._sock
        start = self._chunk_pos
        self._chunk_pos = min(len(self._chunk), start + bufsize)
        return self._chunk[start : self._chunk_pos]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Handle every packet already buffered, not one per `select`."""
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._sock is not None and self._buffered():
            rc = super().loop_read(max_packets)
        return rc

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        # No `message_callback_add` filters here: skip paho's per-message matcher walk.
        callback = self.on_message
        if callback is not None:
            callback(self, self._userdata, message)

    def ack_many(self, acks: Iterable[tuple[int, int]]) -> None:
        """Acknowledge (mid, qos) pairs in order, the QoS 1 ones as a single write."""
        pubacks = bytearray()
        for mid, qos in acks:
            if qos == 1:
                pubacks += _PUBACK.pack(PUBACK, 2, mid)
            elif qos:
                if pubacks:
                    self._packet_queue(PUBACK, bytes(pubacks), 0, 0)
                    pubacks = bytearray()
                self.ack(mid, qos)
        if pubacks:
            self._packet_queue(PUBACK, bytes(pubacks), 0, 0)
