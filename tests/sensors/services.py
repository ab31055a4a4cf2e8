"""Real InfluxDB 1.x and Mosquitto processes for tests and the benchmark, on free loopback ports."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
SHIPPED_MOSQUITTO_CONF = REPO / "deploy" / "mosquitto" / "mosquitto.conf"
SHIPPED_ACL = REPO / "deploy" / "mosquitto" / "facility.acl"
GATEWAY_USER, SIMULATOR_USER, PASSWORD = "facility-gateway", "facility-simulator", "test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class Influxd:
    """`influxd` (Debian's 1.6) with every port free and its data in a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "influxdb.conf"
        self.config.write_text(
            f"""reporting-disabled = true
bind-address = "127.0.0.1:{free_port()}"
[meta]
  dir = "{root / "meta"}"
[data]
  dir = "{root / "data"}"
  wal-dir = "{root / "wal"}"
  query-log-enabled = false
  wal-fsync-delay = "0s"
[coordinator]
[retention]
  enabled = true
[shard-precreation]
  enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = true
  log-enabled = false
"""
        )

    def start(self) -> None:
        log = (self.root / "influxd.log").open("ab")
        self.process = subprocess.Popen(
            [shutil.which("influxd") or "influxd", "-config", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ping", timeout=0.5).status_code == 204:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("influxd did not start; see " + str(self.root / "influxd.log"))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def drop_database(self, name: str) -> None:
        httpx.post(f"{self.url}/query", params={"q": f'DROP DATABASE "{name}"'}, timeout=10)


class VictoriaMetrics:
    """Debian's `victoria-metrics`: a real server for the InfluxDB 2.x write path (`/api/v2/write`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        log = (self.root / "victoria-metrics.log").open("ab")
        self.process = subprocess.Popen(
            [
                shutil.which("victoria-metrics") or "victoria-metrics",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                f"-storageDataPath={self.root / 'data'}",
                "-retentionPeriod=100y",
                "-search.latencyOffset=0s",
                # InfluxDB overwrites a point with the same series and time; this makes VictoriaMetrics do so.
                "-dedup.minScrapeInterval=1ms",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def points(self, **labels: str) -> list[tuple[dict[str, str], int, float]]:
        """Every stored point of `reading_value` as (labels, ms timestamp, value), after a flush."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=10)
        selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
        response = httpx.get(
            f"{self.url}/api/v1/export", params={"match[]": f"reading_value{{{selector}}}"}, timeout=30
        )
        found = []
        for line in response.text.splitlines():
            series = json.loads(line)
            for ts, value in zip(series["timestamps"], series["values"], strict=True):
                found.append((series["metric"], ts, value))
        return found


class Mosquitto:
    """Mosquitto started from the project's shipped config, with its port and paths rewritten."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"mqtt://{GATEWAY_USER}:{PASSWORD}@127.0.0.1:{self.port}"
        self.simulator_url = f"mqtt://{SIMULATOR_USER}:{PASSWORD}@127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        passwd = root / "passwd"
        passwd.touch()
        for user in (GATEWAY_USER, SIMULATOR_USER, "env-dev-1"):
            subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, PASSWORD], check=True)
        shutil.copy(SHIPPED_ACL, root / "facility.acl")
        text = SHIPPED_MOSQUITTO_CONF.read_text()
        text = text.replace("listener 1883 127.0.0.1", f"listener {self.port} 127.0.0.1")
        text = text.replace("/var/lib/mosquitto/", f"{root / 'data'}/")
        text = text.replace("/etc/mosquitto/facility/passwd", str(passwd))
        text = text.replace("/etc/mosquitto/facility/facility.acl", str(root / "facility.acl"))
        assert f"listener {self.port}" in text and str(passwd) in text
        if os.geteuid() == 0:
            # As root Mosquitto drops to the `mosquitto` user, who cannot read a private temp dir.
            text = "user root\n" + text
        self.config = root / "mosquitto.conf"
        self.config.write_text(text)

    def start(self) -> None:
        log = (self.root / "mosquitto.log").open("ab")
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None
