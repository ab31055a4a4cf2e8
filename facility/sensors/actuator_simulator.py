"""Simulated actuators: devices that take commands the way their ecosystem does and answer with
their state, so the demo, the tests and the bench close the loop without hardware.

Relays answer their new state; thermostats take a setpoint and report it, and their room's
temperature follows it (first-order response, `THERMAL_TAU_S`). `silent` devices never answer
(a device that is off the network); `applied` counts the changes each device really made, so a
command sent twice shows as applied once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from facility.sensors.broker_url import BrokerAddress, make_client

# A classroom's air warms or cools toward the setpoint with roughly this time constant.
THERMAL_TAU_S = 900.0
# Command topics of every ecosystem the simulator plays.
COMMAND_FILTERS = ("zigbee2mqtt/+/set", "cmnd/+/+", "+/rpc", "facility/+/+/+/set/+", "+/switch/+/command")


@dataclass
class SimulatedActuator:
    """One device: its ecosystem, own id (friendly name, topic, prefix, code) and channel values."""

    profile: str
    own_id: str
    building: str = ""
    room: str = ""
    values: dict[str, str] = field(default_factory=dict)
    room_temperature: float = 18.0


class ActuatorSimulator:
    def __init__(
        self, url: str, devices: Iterable[SimulatedActuator], *, client_id: str = "facility-actuators"
    ) -> None:
        self.devices = {(d.profile, d.own_id): d for d in devices}
        self.silent: set[tuple[str, str]] = set()
        self.applied: Counter[tuple[str, str]] = Counter()
        self.commands: Counter[tuple[str, str]] = Counter()
        self.client = make_client(url, client_id)
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self._url = url
        self._lock = threading.Lock()

    def start(self) -> None:
        address = BrokerAddress.parse(self._url)
        self.client.connect_async(address.host, address.port)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any = None) -> None:
        if reason.is_failure:
            return
        client.subscribe([(topic, 1) for topic in COMMAND_FILTERS])
        self.subscribed.set()

    # --- commands in, states out -------------------------------------------------------------

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        levels = message.topic.split("/")
        try:
            self._answer(levels, bytes(message.payload))
        except (ValueError, KeyError, TypeError):
            pass  # a command the simulated device does not understand: a real one ignores it too

    def _set(self, device: SimulatedActuator, channel: str, value: str) -> bool:
        """Apply a value; False when the device is silent (it heard nothing)."""
        key = (device.profile, device.own_id)
        if key in self.silent:
            return False
        with self._lock:
            self.commands[key] += 1
            if device.values.get(channel) != value:
                device.values[channel] = value
                self.applied[key] += 1
        return True

    def _device(self, profile: str, own_id: str) -> SimulatedActuator | None:
        return self.devices.get((profile, own_id))

    def _answer(self, levels: list[str], payload: bytes) -> None:
        if levels[0] == "zigbee2mqtt" and levels[-1] == "set":
            self._zigbee2mqtt("/".join(levels[1:-1]), json.loads(payload))
        elif levels[0] == "cmnd" and len(levels) == 3:
            self._tasmota(levels[1], levels[2], payload.decode())
        elif levels[0] == "facility" and len(levels) == 6:
            self._facility(levels, payload.decode())
        elif len(levels) == 4 and levels[1] == "switch" and levels[3] == "command":
            self._homeassistant(levels[0], levels[2], payload.decode())
        elif len(levels) == 2 and levels[1] == "rpc":
            self._shelly(levels[0], json.loads(payload))

    def _zigbee2mqtt(self, name: str, body: dict[str, Any]) -> None:
        device = self._device("zigbee2mqtt", name)
        if device is None:
            return
        names = {
            "state": "relay",
            "brightness": "dimmer",
            "current_heating_setpoint": "setpoint",
            "system_mode": "mode",
        }
        state: dict[str, Any] = {}
        for key, raw in body.items():
            channel = names.get(key) or (f"relay:{key[7:]}" if key.startswith("state_l") else None)
            if channel is None or not self._set(device, channel, str(raw)):
                continue
            state[key] = raw
        if state:
            state["local_temperature"] = round(device.room_temperature, 1)
            state["linkquality"] = 120
            self.client.publish(f"zigbee2mqtt/{name}", json.dumps(state), qos=1)

    def _tasmota(self, topic: str, command: str, word: str) -> None:
        device = self._device("tasmota", topic)
        if device is None:
            return
        if command.upper().startswith("POWER"):
            key = command.upper()
            if self._set(device, key, word.upper()):
                self.client.publish(f"stat/{topic}/RESULT", json.dumps({key: word.upper()}), qos=1)
                self.client.publish(f"stat/{topic}/{key}", word.upper(), qos=1)
        elif command.lower() == "dimmer" and self._set(device, "Dimmer", word):
            self.client.publish(f"stat/{topic}/RESULT", json.dumps({"POWER": "ON", "Dimmer": int(word)}), qos=1)

    def _shelly(self, prefix: str, frame: dict[str, Any]) -> None:
        device = self._device("shelly", prefix)
        if device is None or frame.get("method") != "Switch.Set":
            return
        params = frame["params"]
        switch, on = int(params["id"]), bool(params["on"])
        if not self._set(device, f"switch:{switch}", str(on)):
            return
        self.client.publish(f"{frame.get('src', 'nobody')}/rpc", json.dumps({"id": frame.get("id"), "result": {}}))
        status = {"id": switch, "source": "MQTT", "output": on, "apower": 0.0, "voltage": 229.8}
        self.client.publish(f"{prefix}/status/switch:{switch}", json.dumps(status), qos=1)

    def _facility(self, levels: list[str], value: str) -> None:
        device = self._device("facility", levels[3])
        if device is None or levels[4] != "set":
            return
        if self._set(device, levels[5], value):
            self.client.publish("/".join([*levels[:4], "state", levels[5]]), value, qos=1)

    def _homeassistant(self, node: str, entity: str, value: str) -> None:
        device = self._device("homeassistant", node)
        if device is not None and self._set(device, entity, value):
            self.client.publish(f"{node}/switch/{entity}/state", value, qos=1)

    # --- the room's response -----------------------------------------------------------------

    def warm(self, elapsed_s: float) -> list[tuple[str, bytes]]:
        """Move each thermostat's room toward its setpoint; the temperature readings to publish."""
        readings = []
        share = 1 - pow(2.718281828, -elapsed_s / THERMAL_TAU_S)
        for device in self.devices.values():
            setpoint = device.values.get("setpoint") or device.values.get("current_heating_setpoint")
            if setpoint is None or device.values.get("mode") == "off":
                continue
            device.room_temperature += (float(setpoint) - device.room_temperature) * share
            if device.profile == "facility":
                topic = f"facility/{device.building}/{device.room}/{device.own_id}/temperature"
                readings.append((topic, f"{device.room_temperature:.2f}".encode()))
        return readings

    def run_thermal(self, stop: threading.Event, every_s: float = 10.0) -> None:
        """Publish the rooms' temperatures every `every_s` until `stop` (for `facility simulate`)."""
        last = time.monotonic()
        while not stop.wait(every_s):
            now = time.monotonic()
            for topic, payload in self.warm(now - last):
                self.client.publish(topic, payload, qos=1)
            last = now
