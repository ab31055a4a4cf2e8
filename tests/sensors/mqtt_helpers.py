"""Publishing through the real broker, and waiting for what the gateway stores."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as mqtt

from facility.sensors.broker_url import BrokerAddress, make_client


def publisher(url: str, client_id: str = "test-publisher") -> mqtt.Client:
    address = BrokerAddress.parse(url)
    client = make_client(url, client_id)
    client.max_inflight_messages_set(1000)
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def publish_all(client: mqtt.Client, messages: Iterable[tuple[str, Any]]) -> None:
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(10)


def wait_until(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as error:  # noqa: BLE001 - the service may still be starting
            last = error
        if last is True or (last and not isinstance(last, Exception) and last is not False):
            return last
        time.sleep(every)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")
