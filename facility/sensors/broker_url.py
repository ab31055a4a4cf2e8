"""`mqtt://user:password@host:port` (or `mqtts://`) into what an MQTT client needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    # "5" (default) or "3.1.1" (`?protocol=3.1.1`, for brokers such as amqtt that lack v5).
    protocol: str = "5"

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            protocol="3.1.1" if "protocol=3.1.1" in parts.query else "5",
        )


def make_client(url: str, client_id: str, client_class: type[mqtt.Client] = mqtt.Client, **kwargs: Any) -> mqtt.Client:
    """A paho 2.x client (callback API v2) with the URL's protocol, credentials and TLS applied;
    `client_class` for a subclass of paho's (the gateway's)."""
    address = BrokerAddress.parse(url)
    if address.protocol == "5":
        client = client_class(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5, **kwargs
        )
    else:
        client = client_class(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=kwargs.pop("clean_session", False),
            protocol=MQTTProtocolVersion.MQTTv311,
            **kwargs,
        )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    return client
