"""`facility doctor`'s checks of the services beside the database: broker, InfluxDB and SMTP."""

from __future__ import annotations

import os
import smtplib
import threading
import time
from typing import Any

import httpx

from facility.core.config import MailSettings, Settings
from facility.core.i18n import gettext as _
from facility.doctor import Finding, Status, check_cookies, check_secret_key, database_findings
from facility.sensors.broker_url import BrokerAddress, make_client
from facility.sensors.store import StoreUnavailable, open_store
from facility.sensors.store.influx import InfluxV1Store

# Each service gets this long to answer; a doctor that hangs on a dead host is no help.
TIMEOUT_S = 3.0
PROBE_MEASUREMENT = "facility_doctor_probe"


def check_broker(settings: Settings, timeout: float = TIMEOUT_S) -> Finding:
    """Connect with the gateway's account, under a client id of our own, and disconnect."""
    name = _("broker")
    if not settings.mqtt_url:
        message = _("No broker configured (FACILITY_MQTT_URL): no sensor readings arrive.")
        fix = _("Set FACILITY_MQTT_URL to the gateway's account, e.g. mqtt://facility-gateway:PW@127.0.0.1:1883.")
        return Finding(name, Status.warn, message, fix)
    address = BrokerAddress.parse(settings.mqtt_url)
    where = f"{address.host}:{address.port}"
    client = make_client(settings.mqtt_url, f"facility-doctor-{os.getpid()}")
    client.connect_timeout = timeout
    answered = threading.Event()
    outcome: dict[str, Any] = {}

    def on_connect(_client: Any, _userdata: Any, _flags: Any, reason: Any, _properties: Any = None) -> None:
        outcome["reason"] = reason
        answered.set()

    client.on_connect = on_connect
    fix = _("Check FACILITY_MQTT_URL's host and port, and that Mosquitto is running.")
    try:
        client.connect(address.host, address.port, keepalive=10)
    except OSError as error:
        return Finding(
            name, Status.fail, _("Cannot reach the broker at {where}: {reason}", where=where, reason=error), fix
        )
    client.loop_start()
    try:
        if not answered.wait(timeout):
            return Finding(
                name, Status.fail, _("The broker at {where} did not answer within {s} s.", where=where, s=timeout), fix
            )
    finally:
        client.disconnect()
        client.loop_stop()
    reason = outcome["reason"]
    if reason.is_failure:
        message = _("The broker at {where} refused the gateway's account: {reason}.", where=where, reason=reason)
        fix = _("Check the user and password in FACILITY_MQTT_URL against the broker's password file.")
        return Finding(name, Status.fail, message, fix)
    return Finding(name, Status.ok, _("The broker at {where} accepts the gateway's account.", where=where))


def _probe_v1(store: InfluxV1Store) -> httpx.Response:
    line = f"{PROBE_MEASUREMENT} value=1 {time.time_ns()}"
    return store.http.post(f"{store.url}/write", params={"db": store.database, "precision": "ns"}, content=line)


def _probe_v2(settings: Settings, timeout: float) -> httpx.Response:
    line = f"{PROBE_MEASUREMENT} value=1 {time.time_ns()}"
    return httpx.post(
        settings.influx_url.rstrip("/") + "/api/v2/write",
        params={"org": settings.influx_org, "bucket": settings.influx_bucket, "precision": "ns"},
        headers={"Authorization": f"Token {settings.influx_token}"},
        content=line,
        timeout=timeout,
    )


def check_influx(settings: Settings, timeout: float = TIMEOUT_S) -> Finding:
    """Write a probe point where the readings go, then drop it."""
    name = _("InfluxDB")
    if not settings.influx_url:
        return Finding(name, Status.ok, _("Not used: readings go to the database table (the embedded store)."))
    store = open_store(settings)
    where = settings.influx_url.split("@")[-1]
    try:
        if isinstance(store, InfluxV1Store):
            store.http.timeout = httpx.Timeout(timeout)
            response = _probe_v1(store)
            if response.status_code == 204:
                store.query(f'DROP MEASUREMENT "{PROBE_MEASUREMENT}"', method="POST")
        else:
            response = _probe_v2(settings, timeout)
    except httpx.HTTPError as error:
        fix = _("Check FACILITY_INFLUX_URL and that influxd is running.")
        return Finding(
            name, Status.fail, _("Cannot reach InfluxDB at {where}: {reason}", where=where, reason=error), fix
        )
    except StoreUnavailable:
        response = httpx.Response(204)  # the probe was written; only dropping it failed
    finally:
        store.close()
    if response.status_code == 204:
        return Finding(name, Status.ok, _("InfluxDB at {where} takes writes.", where=where))
    if response.status_code == 404 and isinstance(store, InfluxV1Store):
        message = _("InfluxDB database {db} does not exist yet.", db=settings.influx_db)
        return Finding(name, Status.warn, message, _("Start `facility gateway`: it creates the database on start."))
    if response.status_code in (401, 403):
        message = _("InfluxDB at {where} refused the credentials.", where=where)
        return Finding(name, Status.fail, message, _("Check the user, password or token in the InfluxDB settings."))
    message = _("InfluxDB at {where} refused a write: HTTP {status}.", where=where, status=response.status_code)
    return Finding(name, Status.fail, message, _("Read influxd's log."))


def check_smtp(mail: MailSettings, timeout: float = TIMEOUT_S) -> Finding:
    """Greet the SMTP server (EHLO, STARTTLS and login when configured); no mail is sent."""
    name = _("SMTP")
    if not mail.host:
        message = _("No SMTP server (FACILITY_SMTP_HOST): e-mail waits in the outbox.")
        return Finding(name, Status.warn, message, _("Set FACILITY_SMTP_HOST and its port, user and password."))
    where = f"{mail.host}:{mail.port}"
    try:
        with smtplib.SMTP(mail.host, mail.port, timeout=timeout) as smtp:
            smtp.ehlo()
            if mail.starttls:
                smtp.starttls()
                smtp.ehlo()
            if mail.user:
                smtp.login(mail.user, mail.password)
    except smtplib.SMTPAuthenticationError:
        message = _("The SMTP server at {where} refused the user {user}.", where=where, user=mail.user)
        return Finding(name, Status.fail, message, _("Check FACILITY_SMTP_USER and FACILITY_SMTP_PASSWORD."))
    except smtplib.SMTPNotSupportedError:
        message = _("The SMTP server at {where} offers no STARTTLS.", where=where)
        return Finding(name, Status.fail, message, _("Use the submission port 587, or the server's TLS settings."))
    except (OSError, smtplib.SMTPException) as error:
        fix = _("Check FACILITY_SMTP_HOST and FACILITY_SMTP_PORT, and the firewall.")
        return Finding(
            name, Status.fail, _("Cannot reach the SMTP server at {where}: {reason}", where=where, reason=error), fix
        )
    return Finding(name, Status.ok, _("The SMTP server at {where} answers.", where=where))


def run_doctor(settings: Settings, timeout: float = TIMEOUT_S) -> list[Finding]:
    """Every check, in the order an operator reads them."""
    return [
        *database_findings(settings, timeout),
        check_secret_key(settings),
        check_cookies(settings),
        check_broker(settings, timeout),
        check_influx(settings, timeout),
        check_smtp(settings.mail, timeout),
    ]
