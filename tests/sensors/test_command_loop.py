"""Commands through the real Mosquitto, per ecosystem: desired -> published -> simulated device
answers -> confirmed; no answer -> retried -> alert; a gateway restart re-sends, applied once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session, select

from facility.core.config import SensorSettings, Settings
from facility.core.db import get_engine, session_scope
from facility.sensors import desired
from facility.sensors.actuator_simulator import ActuatorSimulator, SimulatedActuator
from facility.sensors.command_models import DesiredState
from facility.sensors.models import Alert, DeadLetter, Device
from gateway.runner import Gateway
from tests.keys import TEST_SECRET_KEY
from tests.sensors.mqtt_helpers import publisher, wait_until
from tests.sensors.services import Mosquitto

# Fast enough for a test: resend after a second, give up after two sends.
FAST = {"command_retry_s": 1.0, "command_max_attempts": 2, "command_device_gap_s": 0.0}


@contextmanager
def running_gateway(
    tmp_path: Path, url: str, mosquitto: Mosquitto, client_id: str = "gw-commands"
) -> Iterator[Gateway]:
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key=TEST_SECRET_KEY, mqtt_url=mosquitto.url)
    gateway = Gateway(settings, SensorSettings(gateway_client_id=client_id, **FAST))
    gateway.start()
    try:
        wait_until(gateway.connection.connected.is_set)
        yield gateway
    finally:
        gateway.stop()


@contextmanager
def simulated(mosquitto: Mosquitto, devices: list[SimulatedActuator]) -> Iterator[ActuatorSimulator]:
    simulator = ActuatorSimulator(mosquitto.simulator_url, devices)
    simulator.start()
    try:
        wait_until(simulator.subscribed.is_set)
        yield simulator
    finally:
        simulator.stop()


def add_device(url: str, code: str, profile: str) -> int:
    with Session(get_engine(url)) as session:
        device = Device(code=code, profile=profile, reported_building="edu", reported_room="A-101")
        session.add(device)
        session.commit()
        assert device.id is not None
        return device.id


def want(url: str, device_id: int, channel: str, value: object) -> None:
    with session_scope(get_engine(url)) as session:
        desired.set_desired(session, device_id=device_id, channel=channel, value=value, actor="test")  # type: ignore[arg-type]


def row(url: str, device_id: int, channel: str) -> DesiredState:
    with Session(get_engine(url)) as session:
        found = session.exec(
            select(DesiredState).where(DesiredState.device_id == device_id, DesiredState.channel == channel)
        ).one()
        return found


def confirmed_row(url: str, device_id: int, channel: str) -> DesiredState:
    return wait_until(lambda: (found := row(url, device_id, channel)).state == "confirmed" and found)  # type: ignore[no-any-return]


# (profile, device code, the simulator's id, channel, value, canonical reported)
ECOSYSTEMS = [
    ("zigbee2mqtt", "zigbee2mqtt:A-101 TRV", "A-101 TRV", "setpoint", 21.5, "21.5"),
    ("tasmota", "tasmota:plug_A101", "plug_A101", "relay:2", "on", "on"),
    ("shelly", "shelly:shellyplus1-a8032ab1", "shellyplus1-a8032ab1", "relay", True, "on"),
    ("facility", "th-A-101", "th-A-101", "mode", "heat", "heat"),
]


def test_each_ecosystem_is_told_and_confirms(tmp_path: Path, pg_url: str, mosquitto: Mosquitto) -> None:
    ids = {profile: add_device(pg_url, code, profile) for profile, code, *_ in ECOSYSTEMS}
    devices = [SimulatedActuator(profile, own, "edu", "A-101") for profile, _code, own, *_ in ECOSYSTEMS]
    with simulated(mosquitto, devices) as simulator, running_gateway(tmp_path, pg_url, mosquitto):
        for profile, _code, _own, channel, value, _reported in ECOSYSTEMS:
            want(pg_url, ids[profile], channel, value)
        for profile, _code, own, channel, _value, reported in ECOSYSTEMS:
            confirmed = confirmed_row(pg_url, ids[profile], channel)
            assert confirmed.reported_value == reported and confirmed.attempts == 1, profile
            assert simulator.applied[(profile, own)] == 1
    with Session(get_engine(pg_url)) as session:
        assert session.exec(select(DeadLetter)).all() == []  # answers are not dead letters


def test_home_assistant_is_told_through_its_discovered_command_topic(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto
) -> None:
    """https://www.home-assistant.io/integrations/switch.mqtt/ (discovery with command_topic)."""
    device_id = add_device(pg_url, "homeassistant:relay-a101", "homeassistant")
    # ESPHome's default topics: <node>/switch/<name>/command and .../state.
    config = {"~": "relay-a101/switch/fan", "cmd_t": "~/command", "stat_t": "~/state", "dev": {"ids": ["x"]}}
    client = publisher(mosquitto.simulator_url, "test-ha-config")
    client.publish(
        "homeassistant/switch/relay-a101/fan/config", json.dumps(config), qos=1, retain=True
    ).wait_for_publish(5)
    with simulated(mosquitto, [SimulatedActuator("homeassistant", "relay-a101")]) as simulator:
        with running_gateway(tmp_path, pg_url, mosquitto):
            want(pg_url, device_id, "relay", "on")
            wait_until(lambda: row(pg_url, device_id, "relay").state == "confirmed", timeout=30)
        assert simulator.applied[("homeassistant", "relay-a101")] == 1
    client.publish("homeassistant/switch/relay-a101/fan/config", b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()


def test_no_answer_is_retried_then_alerted(tmp_path: Path, pg_url: str, mosquitto: Mosquitto) -> None:
    device_id = add_device(pg_url, "tasmota:dead_plug", "tasmota")
    with simulated(mosquitto, [SimulatedActuator("tasmota", "dead_plug")]) as simulator:
        simulator.silent.add(("tasmota", "dead_plug"))
        with running_gateway(tmp_path, pg_url, mosquitto):
            want(pg_url, device_id, "relay", "on")
            failed = wait_until(lambda: (r := row(pg_url, device_id, "relay")).state == "failed" and r, timeout=30)
    assert failed.attempts == 2
    with Session(get_engine(pg_url)) as session:
        alert = session.exec(select(Alert).where(Alert.rule == "command_unconfirmed")).one()
        assert alert.device_id == device_id and alert.metric == "relay" and alert.id == failed.alert_id


def test_a_gateway_stopped_before_the_answer_resends_after_restart_applied_once(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto
) -> None:
    device_id = add_device(pg_url, "zigbee2mqtt:hall_light", "zigbee2mqtt")
    with simulated(mosquitto, [SimulatedActuator("zigbee2mqtt", "hall_light")]) as simulator:
        simulator.silent.add(("zigbee2mqtt", "hall_light"))  # off the network for now
        with running_gateway(tmp_path, pg_url, mosquitto):
            want(pg_url, device_id, "relay", "on")
            wait_until(lambda: row(pg_url, device_id, "relay").state == "sent")
        # The gateway is gone; the device comes back; a new gateway process starts.
        simulator.silent.clear()
        with running_gateway(tmp_path, pg_url, mosquitto):
            confirmed = wait_until(lambda: (r := row(pg_url, device_id, "relay")).state == "confirmed" and r)
        assert confirmed.reported_value == "on" and confirmed.attempts == 2
        assert simulator.applied[("zigbee2mqtt", "hall_light")] == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_gateways_claim_each_command_once(db_url: str) -> None:
    """FOR UPDATE SKIP LOCKED: a row one gateway holds is skipped by the other, not waited for."""
    from datetime import timedelta

    from facility.core.db import utcnow
    from facility.sensors import command_queue

    device_ids = [add_device(db_url, f"th-{n}", "facility") for n in range(4)]
    for device_id in device_ids:
        want(db_url, device_id, "setpoint", 21)
    engine = get_engine(db_url)
    with Session(engine) as first, Session(engine) as second:
        mine, _ = command_queue.claim_due(first, utcnow(), retry_after=timedelta(seconds=5), max_attempts=3, limit=2)
        theirs, _ = command_queue.claim_due(second, utcnow(), retry_after=timedelta(seconds=5), max_attempts=3)
        assert len(mine) == 2 and len(theirs) == 2 and not {c.id for c in mine} & {c.id for c in theirs}
        first.commit()
        second.commit()
