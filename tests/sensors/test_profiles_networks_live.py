"""Custom base topics, FullTopics, Zigbee2Tasmota children and LoRaWAN vendor fields through the
real Mosquitto (the shipped ACL with the operator's lines for the custom topics), the gateway,
influxd and PostgreSQL: stored, registered with the fields nobody reads, device health apart."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlmodel import Session, select

from facility.core.config import SensorSettings, Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.sensors import service
from facility.sensors.models import DeadLetter, Device
from gateway.runner import Gateway
from tests.factories import make_room, make_user
from tests.keys import TEST_SECRET_KEY
from tests.sensors import corpus_networks as c
from tests.sensors.mqtt_helpers import publish_all, publisher, wait_until
from tests.sensors.services import Influxd, Mosquitto

# What an operator adds to the broker's ACL for a coordinator's base topic and a FullTopic.
OPERATOR_ACL = """
user facility-gateway
topic read campus/z2m-east/#
topic read tasmota/tele/#

user facility-simulator
topic write campus/#
topic write tasmota/#
"""


def devices(url: str) -> dict[str, Device]:
    with Session(get_engine(url)) as session:
        return {d.code: d for d in session.exec(select(Device))}


def letters_of(url: str) -> list[tuple[str, str, str]]:
    with Session(get_engine(url)) as session:
        return [(d.profile, d.reason, d.topic) for d in session.exec(select(DeadLetter))]


def test_custom_topics_children_and_decoder_fields_end_to_end(tmp_path: Path, pg_url: str, influxd: Influxd) -> None:
    broker = Mosquitto(tmp_path / "mosquitto")
    with (broker.root / "facility.acl").open("a") as acl:
        acl.write(OPERATOR_ACL)
    broker.start()
    db = f"n_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=pg_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET_KEY,
        mqtt_url=broker.url,
        influx_url=influxd.url,
        influx_db=db,
    )
    sensor_settings = SensorSettings(
        gateway_client_id="gw-networks",
        zigbee2mqtt_base_topics=f"zigbee2mqtt,{c.Z2M_EAST_BASE}",
        tasmota_full_topics=f"%prefix%/%topic%/,{c.TASMOTA_FULL_TOPIC}",
    )
    gateway = Gateway(settings, sensor_settings)
    gateway.start()
    try:
        wait_until(gateway.connection.subscribed.is_set)
        messages = [
            c.Z2M_EAST_AQARA,
            c.TASMOTA_ZBINFO_BULB,
            c.TASMOTA_ZB_SNZB02,
            c.TTN_BROWAN_TBHV110,
            c.TTN_NETVOX_CONFIG,
            ("campus/z2m-west/bridge/state", '{"state": "online"}'),  # a coordinator nobody configured
        ]
        publish_all(publisher(broker.simulator_url), [(t, p.encode()) for t, p in messages])
        store = gateway.store
        expected = {
            "zigbee2mqtt:campus/z2m-east/E-201 aqara": 3,
            "tasmota:tasmota_zb/0x1067": 2,
            "ttn:tbhv110-e203": 6,
        }
        for code, count in expected.items():
            wait_until(lambda code=code, count=count: store.count([code]) == count)  # type: ignore[misc]
        silent = ["tasmota:tasmota_6A65EC/main_light_0", "ttn:r718a-freezer"]  # nothing read, yet registered
        registry = wait_until(
            lambda: (found := devices(pg_url)) and set(expected) | set(silent) <= set(found) and found
        )
        assert json.loads(registry["ttn:r718a-freezer"].raw_fields)["Cmd"] == "ReadConfigReportRsp"
        letters = wait_until(lambda: letters_of(pg_url))
        assert letters == [("zigbee2mqtt", "unconfigured_base_topic", "campus/z2m-west/bridge/state")]
        assert json.loads(registry["tasmota:tasmota_6A65EC/main_light_0"].raw_fields)["Dimmer"] == 254
        assert json.loads(registry["ttn:tbhv110-e203"].raw_fields) == {
            "iaq": 81,
            "iaqChanged": 1,
            "status": 1,
            "tempHumidChanged": 0,
        }
        assert registry["ttn:tbhv110-e203"].metrics == "battery_voltage,chip_temperature,co2,humidity,temperature,voc"

        with Session(get_engine(pg_url)) as session:  # placed in a room: its health is not the room's
            manager = make_user(session, role=Role.manager)
            room = make_room(session)
            service.place_device(session, manager, registry["ttn:tbhv110-e203"].id or 0, room.id)
            session.commit()
            latest = service.room_latest(session, store, manager, room.id or 0)
        assert {metric: item.value for metric, item in latest.items()} == {
            "co2": 959,
            "humidity": 30,
            "temperature": 22,
            "voc": 1,
        }
    finally:
        gateway.stop()
        broker.stop()
        influxd.drop_database(db)
