"""The two consumers bench/ingest.py runs, each as its own process: the `facility gateway` and
Node-RED with the flow an expert builds (installed from npm into a cache folder): a join of 1,000
points or 25 ms, and a retry loop (catch the write's error, wait, delete `msg.error`, write again)
so a store outage loses nothing while Node-RED stays up."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx

from facility.core.db import upgrade_database
from facility.sensors.broker_url import BrokerAddress
from tests.sensors.services import PASSWORD, Influxd, Mosquitto, free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]
NODE_RED_CACHE = Path.home() / ".cache" / "facility-bench" / "node-red"
# Majors the flow below was written for.
NODE_RED_PACKAGES = ("node-red@4", "node-red-contrib-influxdb@0.7")
# Node-RED's join node: a batch of this many points, or what arrived this long after the first
# (25 ms: an expert's choice; at 100 ms most of the latency was the join's wait).
NODE_RED_JOIN_COUNT, NODE_RED_JOIN_TIMEOUT_S = 1000, 0.025
# The retry loop's wait between attempts of a batch the store refused.
NODE_RED_RETRY_S = 1


class Consumer:
    name = ""
    database = ""
    client_id = ""
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None: ...

    def restart(self) -> None:
        """Stopped and started again (its persistent session kept): what survives is what it made durable."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


class Gateway(Consumer):
    name, database, client_id = "gateway", "bench_gateway", "bench-gateway"

    def __init__(self, root: Path, broker: Mosquitto, influxd: Influxd) -> None:
        self.root, self.broker, self.influxd = root / "gateway", broker, influxd
        self.root.mkdir(parents=True, exist_ok=True)
        self.sqlite_url = f"sqlite:///{self.root / 'facility.db'}"
        upgrade_database(self.sqlite_url)

    def start(self) -> None:
        env = {
            **os.environ,
            "FACILITY_DATABASE_URL": self.sqlite_url,
            "FACILITY_DATA_DIR": str(self.root),
            "FACILITY_MQTT_URL": self.broker.url,
            "FACILITY_INFLUX_URL": self.influxd.url,
            "FACILITY_INFLUX_DB": self.database,
            "FACILITY_SECRET_KEY": secrets.token_urlsafe(48),
            "FACILITY_GATEWAY_CLIENT_ID": self.client_id,
            "FACILITY_GATEWAY_SHARE_GROUP": "",
        }
        log = (self.root / "gateway.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "facility.cli", "gateway"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def install_node_red() -> Path:
    """node-red and node-red-contrib-influxdb from npm into the cache folder (kept for later runs)."""
    red = NODE_RED_CACHE / "node_modules" / "node-red" / "red.js"
    influx = NODE_RED_CACHE / "node_modules" / "node-red-contrib-influxdb" / "influxdb.js"
    if not (red.exists() and influx.exists()):
        print(f"installing {' '.join(NODE_RED_PACKAGES)} from npm into {NODE_RED_CACHE}")
        NODE_RED_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(NODE_RED_CACHE), "--no-audit", "--no-fund", *NODE_RED_PACKAGES],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return red


# The function node: topic levels become tags, the payload's RFC 3339 time (with microseconds)
# the point's time, as the gateway stores it.
NODE_RED_FUNCTION = """
const p = msg.topic.split("/");
const body = msg.payload;
const ts = body.ts;
const us = Date.parse(ts) * 1000 + Number(ts.substr(23, 3));
msg.payload = {
    measurement: "reading",
    tags: {building: p[1], room: p[2], device: p[3], metric: p[4]},
    fields: {value: Number(body.value)},
    timestamp: us,
};
return msg;
"""


class NodeRed(Consumer):
    name, database, client_id = "node-red", "bench_nodered", "bench-node-red"

    def __init__(self, root: Path, broker: Mosquitto, influxd: Influxd) -> None:
        self.root, self.broker, self.influxd = root / "node-red", broker, influxd
        self.red = install_node_red()
        self.port = free_port()
        self.root.mkdir(parents=True, exist_ok=True)
        httpx.post(f"{influxd.url}/query", params={"q": f'CREATE DATABASE "{self.database}"'}, timeout=10)
        self._write_flow()

    def _write_flow(self) -> None:
        broker = BrokerAddress.parse(self.broker.url)
        flows = [
            {"id": "bench0tab00001", "type": "tab", "label": "bench"},
            {
                "id": "bench0broker01",
                "type": "mqtt-broker",
                "name": "mosquitto",
                "broker": broker.host,
                "port": str(broker.port),
                "clientid": self.client_id,
                "autoConnect": True,
                "usetls": False,
                "protocolVersion": "5",
                "keepalive": "30",
                "cleansession": False,
                "sessionExpiry": "604800",
                "autoUnsubscribe": False,
            },
            {
                "id": "bench0mqttin01",
                "type": "mqtt in",
                "z": "bench0tab00001",
                "topic": "facility/bench/#",
                "qos": "1",
                "datatype": "json",
                "broker": "bench0broker01",
                "nl": False,
                "rap": True,
                "rh": 0,
                "inputs": 0,
                "wires": [["bench0point001"]],
            },
            {
                "id": "bench0point001",
                "type": "function",
                "z": "bench0tab00001",
                "func": NODE_RED_FUNCTION,
                "outputs": 1,
                "wires": [["bench0join0001"]],
            },
            {
                "id": "bench0join0001",
                "type": "join",
                "z": "bench0tab00001",
                "mode": "custom",
                "build": "array",
                "property": "payload",
                "propertyType": "msg",
                "count": str(NODE_RED_JOIN_COUNT),
                "timeout": str(NODE_RED_JOIN_TIMEOUT_S),
                "accumulate": False,
                "wires": [["bench0write001"]],
            },
            {
                "id": "bench0influx01",
                "type": "influxdb",
                "hostname": "127.0.0.1",
                "port": str(self.influxd.port),
                "protocol": "http",
                "database": self.database,
                "usetls": False,
                "influxdbVersion": "1.x",
            },
            {
                "id": "bench0write001",
                "type": "influxdb batch",
                "z": "bench0tab00001",
                "influxdb": "bench0influx01",
                "precision": "u",
                "wires": [],
            },
            # The retry loop: the write's error caught, a wait, `msg.error` deleted (a message that
            # still carries it is not retried by the write node's catch again), written again.
            {
                "id": "bench0catch001",
                "type": "catch",
                "z": "bench0tab00001",
                "scope": ["bench0write001"],
                "uncaught": False,
                "wires": [["bench0delay001"]],
            },
            {
                "id": "bench0delay001",
                "type": "delay",
                "z": "bench0tab00001",
                "pauseType": "delay",
                "timeout": str(NODE_RED_RETRY_S),
                "timeoutUnits": "seconds",
                "rate": "1",
                "nbRateUnits": "1",
                "rateUnits": "second",
                "randomFirst": "1",
                "randomLast": "5",
                "randomUnits": "seconds",
                "drop": False,
                "allowrate": False,
                "outputs": 1,
                "wires": [["bench0retry001"]],
            },
            {
                "id": "bench0retry001",
                "type": "function",
                "z": "bench0tab00001",
                "func": "delete msg.error;\nreturn msg;",
                "outputs": 1,
                "wires": [["bench0write001"]],
            },
        ]
        (self.root / "flows.json").write_text(json.dumps(flows, indent=1))
        credentials = {"bench0broker01": {"user": broker.username, "password": PASSWORD}, "bench0influx01": {}}
        (self.root / "flows_cred.json").write_text(json.dumps(credentials))
        (self.root / "settings.js").write_text(
            "module.exports = {\n"
            f"  uiHost: '127.0.0.1', uiPort: {self.port}, flowFile: 'flows.json',\n"
            "  credentialSecret: false, httpAdminRoot: '/admin',\n"
            "  logging: {console: {level: 'warn', metrics: false, audit: false}},\n"
            f"  nodesDir: [{json.dumps(str(NODE_RED_CACHE / 'node_modules'))}],\n"
            "};\n"
        )

    def start(self) -> None:
        log = (self.root / "node-red.log").open("ab")
        self.process = subprocess.Popen(
            ["node", str(self.red), "--userDir", str(self.root), "--settings", str(self.root / "settings.js")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=60)
