"""Every device profile through the real Mosquitto (shipped config and ACL) and the real influxd:
readings arrive, devices are registered with their profile, online status follows
availability/LWT, unreadable messages are dead letters while the flow goes on."""

from __future__ import annotations

from sqlmodel import Session, select

from facility.core.db import get_engine
from facility.sensors.models import DeadLetter, Device
from facility.sensors.store.influx import InfluxV1Store
from gateway.runner import Gateway
from tests.sensors import payloads as p
from tests.sensors.mqtt_helpers import publish_all, publisher, wait_until
from tests.sensors.services import Mosquitto


def encoded(messages: list[tuple[str, str]]) -> list[tuple[str, bytes]]:
    return [(topic, payload.encode()) for topic, payload in messages]


def devices(pg_url: str) -> dict[str, Device]:
    with Session(get_engine(pg_url)) as session:
        return {d.code: d for d in session.exec(select(Device))}


def test_every_profile_stores_registers_and_follows_online_status(
    gateway: Gateway, mosquitto: Mosquitto, pg_url: str
) -> None:
    client = publisher(mosquitto.simulator_url)
    store: InfluxV1Store = gateway.store  # type: ignore[assignment]
    expected = {
        "zigbee2mqtt:E-101 air": 6,
        "zigbee2mqtt:plant/leak": 2,
        "tasmota:tasmota_E102": 3,
        "tasmota:tasmota_plug": 4,
        f"shelly:{p.SHELLY_HT}": 4,  # battery_voltage too
        "shelly:shellyplus1pm-a8032ab12345": 5,  # chip_temperature too
        "chirpstack:0101010101010101": 6,
        "ttn:eui-70b3d57ed005e105": 5,
    }
    broken = [
        ("zigbee2mqtt/E-101 air", "{oops"),
        ("tele/tasmota_E102/SENSOR", '{"SCD30": {"CarbonDioxide": -40}}'),
        (p.CHIRPSTACK_NO_CODEC[0], p.CHIRPSTACK_NO_CODEC[1]),
    ]
    messages = [
        p.Z2M_AIR,
        broken[0],
        p.Z2M_LEAK,
        p.TASMOTA_SCD30,
        broken[1],
        p.TASMOTA_ENERGY,
        p.SHELLY_FULL_STATUS,
        p.SHELLY_SWITCH,
        p.CHIRPSTACK_UP,
        broken[2],
        p.TTN_UP,
    ]
    publish_all(client, encoded(messages))
    for code, count in expected.items():
        wait_until(lambda code=code, count=count: store.count([code]) == count)  # type: ignore[misc]
    assert {x.metric: x.value for x in store.latest(["tasmota:tasmota_E102"])}["temperature"] == 22.5
    registry = wait_until(lambda: (found := devices(pg_url)) and set(expected) <= set(found) and found)
    assert {registry[code].profile for code in expected} == {
        "zigbee2mqtt",
        "tasmota",
        "shelly",
        "chirpstack",
        "ttn",
    }
    assert all(registry[code].room_id is None and registry[code].online for code in expected)

    publish_all(client, encoded([p.Z2M_AVAILABILITY, p.TASMOTA_LWT, p.SHELLY_ONLINE]))
    offline = ["zigbee2mqtt:E-101 air", "tasmota:tasmota_E102", f"shelly:{p.SHELLY_HT}"]
    wait_until(lambda: not any(devices(pg_url)[code].online for code in offline))

    def letters() -> list[tuple[str, str]]:
        with Session(get_engine(pg_url)) as session:
            return sorted((d.profile, d.reason) for d in session.exec(select(DeadLetter)))

    wait_until(lambda: len(letters()) == 3)
    assert letters() == [("chirpstack", "no_decoded_payload"), ("tasmota", "out_of_range"), ("zigbee2mqtt", "bad_json")]
    client.disconnect()


def test_esphome_discovery_is_followed_through_the_broker(gateway: Gateway, mosquitto: Mosquitto, pg_url: str) -> None:
    client = publisher(mosquitto.simulator_url)
    client.publish(*p.ESPHOME_DISCOVERY, qos=1, retain=True).wait_for_publish(10)
    wait_until(lambda: "esp-e103/sensor/co2/state" in "".join(gateway.connection.subscriptions()))
    store: InfluxV1Store = gateway.store  # type: ignore[assignment]

    def publish_state() -> int:  # the subscription is in flight right after the announcement
        publish_all(client, encoded([p.ESPHOME_STATE]))
        return store.count(["homeassistant:esp-e103"])

    wait_until(publish_state, timeout=20, every=0.5)
    assert {x.metric: x.value for x in store.latest(["homeassistant:esp-e103"])} == {"co2": 955.0}
    device = wait_until(lambda: devices(pg_url).get("homeassistant:esp-e103"))
    assert device.profile == "homeassistant" and device.online
    publish_all(client, encoded([p.ESPHOME_STATUS]))
    wait_until(lambda: not devices(pg_url)["homeassistant:esp-e103"].online)
    client.publish(p.ESPHOME_DISCOVERY[0], b"", qos=1, retain=True).wait_for_publish(10)  # clear the retained config
    client.disconnect()
