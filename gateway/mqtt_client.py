"""paho's client with less work per message, for the gateway's one busy subscription.

paho reads each packet with three `recv` calls (command byte, length byte, body) after a `select`,
copies it into a packet dict, decodes it into an `MQTTMessage` (with a properties object and a
debug log line), runs it through its topic-callback matcher, and sends each PUBACK as its own
packet, each with a wake-up byte to its own socket pair. At thousands of messages a second that
is most of paho's network thread, and it holds the GIL the spooler and writer need. This subclass
reads the socket in large chunks, parses the QoS 0/1 PUBLISH packets it finds complete in that
chunk itself and hands (topic, payload, mid, qos, dup) to `on_publish_received`; anything else
(CONNACK, SUBACK, PUBACKs of our own status messages, QoS 2, a packet cut by the chunk's end,
anything malformed) goes through paho's own reader unchanged. The acknowledgements of a whole
spool group leave as one write.

It overrides private methods of paho; pyproject pins paho to the minor version they were written
against, unit tests feed the parser v3.1.1 and v5 packets, and the gateway and fault tests run
through it against a real Mosquitto.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

# Bytes asked of the socket per `recv`: a few hundred of our small PUBLISH packets.
RECV_CHUNK = 256 * 1024
PUBACK = 0x40
_PUBACK = struct.Struct("!BBH")
PUBLISH = 0x30
# (topic, payload, mid, qos, dup) of one received PUBLISH.
OnPublish = Callable[[str, bytes, int, int, bool], None]


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """MQTT's variable byte integer at `pos`: (value, position after it), or (-1, -1) if it is
    cut by `end` or longer than the four bytes MQTT allows."""
    value, shift = 0, 0
    for at in range(pos, min(end, pos + 4)):
        byte = data[at]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at + 1
        shift += 7
    return -1, -1


class GatewayClient(mqtt.Client):
    # Called with every received message instead of `on_message` when set.
    on_publish_received: OnPublish | None = None

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
        """Read what the socket has as one chunk and hand on its publishes; paho reads the rest
        (a packet it began earlier, one it must handle, or the socket's end or error)."""
        fast = self.on_publish_received is not None and self._sock is not None
        if fast and self._in_packet["command"] == 0 and self._fill():
            rc = MQTTErrorCode.MQTT_ERR_SUCCESS
        else:
            rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._sock is not None and self._buffered():
            if self._in_packet["command"] == 0 and self._read_publishes():
                continue
            rc = super().loop_read(max_packets)
        return rc

    def _fill(self) -> bool:
        """Buffer what the socket has; False if it gave nothing (it would block, it closed or it
        failed: paho's own read then meets the same and reports it)."""
        if self._buffered():
            return True
        try:
            data = super()._sock_recv(RECV_CHUNK)
        except OSError:  # BlockingIOError and ConnectionError included
            return False
        if not data:
            return False
        self._chunk, self._chunk_pos, self._chunk_sock = data, 0, self._sock
        return True

    def _read_publishes(self) -> bool:
        """Hand on the complete QoS 0/1 PUBLISH packets at the head of the buffer; stop at the
        first packet paho should read. True if any was read."""
        handler = self.on_publish_received
        if handler is None:
            return False
        data, pos, end = self._chunk, self._chunk_pos, len(self._chunk)
        v5 = self._protocol == mqtt.MQTTv5
        read = False
        while pos + 2 <= end:
            command = data[pos]
            qos = (command >> 1) & 3
            if command & 0xF0 != PUBLISH or qos > 1:
                break
            length, at = data[pos + 1], pos + 2
            if length & 0x80:
                length, at = _varint(data, pos + 1, end)
                if at < 0:
                    break
            stop = at + length
            if stop > end or at + 2 > stop:
                break
            topic_end = at + 2 + ((data[at] << 8) | data[at + 1])
            if topic_end == at + 2 or topic_end > stop:
                break  # an empty topic (a v5 alias) or a malformed length: paho decides
            try:
                topic = data[at + 2 : topic_end].decode()
            except UnicodeDecodeError:
                break
            at, mid = topic_end, 0
            if qos:
                if at + 2 > stop:
                    break
                mid, at = (data[at] << 8) | data[at + 1], at + 2
            if v5:
                if at >= stop:
                    break
                if data[at] == 0:
                    at += 1
                else:  # properties (expiry, user properties...): the gateway does not use them
                    skip, at = _varint(data, at, stop)
                    if at < 0 or at + skip > stop:
                        break
                    at += skip
            # Consumed before the handler runs, so an exception in it cannot replay the packet.
            self._chunk_pos = pos = stop
            read = True
            handler(topic, data[at:stop], mid, qos, bool(command & 0x08))
        if read:
            with self._msgtime_mutex:
                self._last_bytes_received = mqtt.time_func()
        return read

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        # Packets paho read itself (and QoS 2 after PUBREL). No `message_callback_add` filters
        # here: skip paho's per-message matcher walk.
        handler = self.on_publish_received
        if handler is not None:
            handler(message.topic, bytes(message.payload), message.mid, message.qos, message.dup)
        elif self.on_message is not None:
            self.on_message(self, self._userdata, message)

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
