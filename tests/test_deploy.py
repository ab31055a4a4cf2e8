"""The deployment examples hold on the host they target: `nginx -t` on Debian's nginx (1.22 in
Debian 12) before any certificate exists, and systemd units that stop on a configuration error,
start after their services and keep their files private."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SNAKEOIL = (Path("/etc/ssl/certs/ssl-cert-snakeoil.pem"), Path("/etc/ssl/private/ssl-cert-snakeoil.key"))


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)")
def test_the_proxy_example_passes_nginx_t(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "facility.conf").read_text()
    assert "/etc/letsencrypt" not in site, "certbot writes those paths; nginx must start before it runs"
    if not all(path.exists() for path in SNAKEOIL):
        # Debian's ssl-cert makes this pair at install; where it did not, a pair of our own stands in.
        cert, key = tmp_path / "snakeoil.pem", tmp_path / "snakeoil.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test", "-days", "1"]
            + ["-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
        site = site.replace(str(SNAKEOIL[0]), str(cert)).replace(str(SNAKEOIL[1]), str(key))
    (tmp_path / "facility.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/facility.conf;\n}}\n"
    )
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr.replace('the "http2" directive is deprecated', ""), checked.stderr


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(DEPLOY / "systemd" / name)
    return parser


@pytest.mark.parametrize("name", ["facility-web.service", "facility-gateway.service", "facility-scheduler.service"])
def test_a_service_stops_on_a_configuration_error_and_starts_after_its_services(name: str) -> None:
    service = unit(name)
    # `facility` exits 2 on a bad setting or an unmigrated schema (cli.py): no restart mends that.
    assert "2" in service["Service"]["RestartPreventExitStatus"].split()
    assert service["Service"]["UMask"] == "0077"
    after = service["Unit"]["After"].split()
    assert "postgresql.service" in after
    if name != "facility-web.service":
        assert "mosquitto.service" in after


def test_the_backup_service_writes_private_files() -> None:
    assert unit("facility-backup.service")["Service"]["UMask"] == "0077"
