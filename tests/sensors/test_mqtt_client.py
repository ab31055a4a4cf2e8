"""The gateway client's own PUBLISH reader, fed packets built byte by byte as the MQTT 3.1.1 and
5.0 specifications lay them out (the live gateway tests run it against Mosquitto)."""

from __future__ import annotations

import random
import socket
import struct
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest

from gateway import mqtt_client
from gateway.mqtt_client import GatewayClient, _varint

Received = tuple[str, bytes, int, int, bool]


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        value, byte = divmod(value, 128)
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def publish(
    topic: str, payload: bytes, qos: int = 1, mid: int = 1, *, v5: bool, props: bytes = b"", dup: bool = False
) -> bytes:
    name = topic.encode()
    body = struct.pack("!H", len(name)) + name
    if qos:
        body += struct.pack("!H", mid)
    if v5:
        body += varint(len(props)) + props
    body += payload
    return bytes([0x30 | qos << 1 | (0x08 if dup else 0)]) + varint(len(body)) + body


def client(protocol: int) -> tuple[GatewayClient, list[Received]]:
    gateway = GatewayClient(mqtt.CallbackAPIVersion.VERSION2, client_id="t", protocol=protocol, manual_ack=True)
    received: list[Received] = []
    gateway.on_publish_received = lambda *message: received.append(message)
    return gateway, received


def feed(gateway: GatewayClient, data: bytes) -> bool:
    gateway._chunk, gateway._chunk_pos, gateway._chunk_sock = data, 0, gateway._sock
    return gateway._read_publishes()


def test_varint_reads_one_to_four_bytes_and_refuses_more_or_cut() -> None:
    for value in (0, 127, 128, 16_383, 16_384, 268_435_455):
        encoded = varint(value)
        assert _varint(b"x" + encoded, 1, 1 + len(encoded)) == (value, 1 + len(encoded))
    assert _varint(b"\x80\x80", 0, 2) == (-1, -1)  # cut
    assert _varint(b"\x80\x80\x80\x80\x01", 0, 5) == (-1, -1)  # five bytes


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5])
def test_publishes_of_both_protocols_are_read_whole(protocol: int) -> None:
    v5 = protocol == mqtt.MQTTv5
    gateway, received = client(protocol)
    big = bytes(range(256)) * 2  # a remaining length of two bytes
    data = (
        publish("zigbee2mqtt/Hall CO2", b'{"co2":612}', 1, 7, v5=v5)
        + publish("tele/plug/SENSOR", b"{}", 0, v5=v5)
        + publish("facility/a/b/c/co2", big, 1, 65535, v5=v5, dup=True)
        + publish("강의실/온도", b"21.5", 1, 8, v5=v5)
    )
    assert feed(gateway, data)
    assert gateway._chunk_pos == len(data)
    assert received == [
        ("zigbee2mqtt/Hall CO2", b'{"co2":612}', 7, 1, False),
        ("tele/plug/SENSOR", b"{}", 0, 0, False),
        ("facility/a/b/c/co2", big, 65535, 1, True),
        ("강의실/온도", b"21.5", 8, 1, False),
    ]


def test_v5_properties_are_skipped_not_read_as_payload() -> None:
    gateway, received = client(mqtt.MQTTv5)
    expiry = b"\x02" + struct.pack("!I", 60)  # message expiry interval
    user = b"\x26" + struct.pack("!H", 3) + b"key" + struct.pack("!H", 5) + b"value"  # user property
    content = b"\x03" + struct.pack("!H", 16) + b"application/json"
    data = publish("shelly/events/rpc", b'{"a":1}', 1, 3, v5=True, props=expiry + user + content)
    assert feed(gateway, data)
    assert received == [("shelly/events/rpc", b'{"a":1}', 3, 1, False)]


def test_a_packet_cut_by_the_chunk_is_left_for_paho() -> None:
    gateway, received = client(mqtt.MQTTv5)
    first = publish("a/b", b"1", 1, 1, v5=True)
    second = publish("a/c", b"22", 1, 2, v5=True)
    for cut in range(1, len(second)):
        received.clear()
        assert feed(gateway, first + second[:cut])
        assert received == [("a/b", b"1", 1, 1, False)]
        assert gateway._chunk_pos == len(first)
        assert not gateway._read_publishes()  # nothing more it can read


@pytest.mark.parametrize(
    "packet",
    [
        publish("a/b", b"x", 2, 5, v5=True),  # QoS 2: paho runs PUBREC/PUBREL
        b"\x40\x02\x00\x01",  # a PUBACK of our own status message
        b"\x90\x03\x00\x01\x01",  # SUBACK
        publish("", b"x", 1, 5, v5=True),  # empty topic: a v5 topic alias
        b"\x32\x03\x00\x09ab",  # topic length beyond the packet
        b"\x32\x04\x00\x02\xff\xfe",  # topic not UTF-8 (and no room for a packet id)
    ],
)
def test_what_paho_must_read_stops_the_fast_path(packet: bytes) -> None:
    gateway, received = client(mqtt.MQTTv5)
    assert not feed(gateway, packet + publish("a/b", b"1", 1, 1, v5=True))
    assert received == [] and gateway._chunk_pos == 0


@pytest.fixture
def paired(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GatewayClient, list[Received], socket.socket]]:
    monkeypatch.setattr(mqtt_client, "RECV_CHUNK", 97)  # packets cross chunk ends everywhere
    gateway, received = client(mqtt.MQTTv5)
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    gateway._sock = ours  # type: ignore[assignment]
    yield gateway, received, theirs
    ours.close()
    theirs.close()


def test_a_stream_through_paho_and_the_fast_path_delivers_each_message_once_in_order(
    paired: tuple[GatewayClient, list[Received], socket.socket],
) -> None:
    gateway, received, broker = paired
    rng = random.Random(12)
    expected: list[Received] = []
    stream = bytearray()
    for mid in range(1, 400):
        qos = rng.choice((0, 1, 1))
        payload = bytes(rng.randrange(256) for _ in range(rng.choice((1, 20, 200))))
        topic = f"tele/plug-{mid}/SENSOR"
        props = b"\x02\x00\x00\x00\x3c" if mid % 7 == 0 else b""
        stream += publish(topic, payload, qos, mid, v5=True, props=props)
        expected.append((topic, payload, mid if qos else 0, qos, False))
    for start in range(0, len(stream), 1000):  # the broker's writes, not aligned with packets
        broker.sendall(stream[start : start + 1000])
        while True:
            before = len(received)
            assert gateway.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
            if len(received) == before and not gateway._buffered():
                break
    assert received == expected
    broker.close()  # the broker goes away: paho's reader reports it
    assert gateway.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_CONN_LOST


def test_a_quiet_stream_of_single_packets_skips_paho_s_reader(
    paired: tuple[GatewayClient, list[Received], socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a few thousand a second each `select` finds one or two packets: the first of them must
    not take paho's three-`recv` path either."""
    gateway, received, broker = paired
    monkeypatch.setattr(mqtt_client, "RECV_CHUNK", 256 * 1024)
    through_paho: list[int] = []

    def paho_read() -> mqtt.MQTTErrorCode:
        through_paho.append(1)
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    monkeypatch.setattr(gateway, "_handle_publish", paho_read)
    for mid in range(1, 51):
        broker.sendall(publish(f"zigbee2mqtt/sensor-{mid}", b'{"co2":500}', 1, mid, v5=True))
        assert gateway.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
    assert len(received) == 50 and through_paho == []
    assert gateway.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS  # nothing waiting: no error
