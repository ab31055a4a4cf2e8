"""Settings from the environment (prefix FACILITY_): one tree, validated whole when a process starts.

Every process (`serve`, its workers, `gateway`, `scheduler`, each CLI command) loads the tree once
with `load_settings()`; a bad value stops the start with one line naming the variable. Domain code
never reads the environment: it is handed the tree (a parameter, `app.state.settings`, a job's
argument) or, deep in a service, reads `active_settings()`, which the app sets per request, the
scheduler per tick and the CLI per command.
"""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from facility.core import business_number
from facility.core.i18n import gettext as _


class SettingsError(Exception):
    """A setting is invalid; the message names it."""


@dataclass(frozen=True)
class DatabaseLimits:
    """How long a request may wait for the database, and how many connections it may hold.

    PostgreSQL enforces the three timeouts on every connection; the pool enforces the rest. A
    wait that runs out is answered 503 with Retry-After (facility/core/handlers.py), never a hang.
    """

    lock_timeout_ms: int = 3_000
    statement_timeout_ms: int = 30_000
    # A backstop, not a pace: a job may sit between statements for a whole SMTP send (15 s).
    idle_in_transaction_timeout_ms: int = 60_000
    pool_size: int = 20
    pool_timeout_s: float = 3.0


@dataclass(frozen=True)
class AdmissionLimits:
    """How many requests the app serves at once and how long the rest wait in line (core/admission.py)."""

    concurrent_requests: int = 12
    wait_ms: int = 8_000
    worker_threads: int = 40


# Words of the example files and tutorials: a key containing one was copied, not generated.
PLACEHOLDER_WORDS = ("changeme", "secret", "example", "placeholder", "password", "replaceme", "default")
MIN_SECRET_LENGTH = 32
# Bits per character of the key's own letter frequencies: 32 random hex digits have about 3.7
# (rarely below 2.9), `token_urlsafe` about 5.5; a key of a few repeated letters sits below.
MIN_SECRET_BITS_PER_CHAR = 2.5


def secret_weakness(value: str) -> str | None:
    """Why `value` is no secret (a placeholder, too short, a pattern), or None for a strong one."""
    letters = re.sub(r"[^a-z0-9]", "", value.lower())
    if any(word in letters for word in PLACEHOLDER_WORDS):
        return _("is a placeholder: generate one with `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    if len(value) < MIN_SECRET_LENGTH:
        return _("is shorter than {n} characters", n=MIN_SECRET_LENGTH)
    counts = Counter(value).values()
    bits = -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
    repeats = any(value == (value[:k] * len(value))[: len(value)] for k in range(1, len(value) // 2 + 1))
    if bits < MIN_SECRET_BITS_PER_CHAR or repeats:
        return _("has too little randomness (a word or a repeated pattern)")
    return None


def _http_scheme(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


# An optional http(s) address: InfluxDB, the webhook.
HttpAddress = Annotated[str, AfterValidator(_http_scheme)]


class MailSettings(BaseSettings):
    """FACILITY_SMTP_HOST and friends; no host means e-mail waits in the outbox."""

    model_config = SettingsConfigDict(env_prefix="FACILITY_SMTP_", extra="ignore")

    host: str = ""
    port: int = Field(default=587, gt=0, lt=65536)
    user: str = ""
    password: str = ""
    sender: str = "noreply@facility.example"
    starttls: bool = True
    timeout_s: float = Field(default=15.0, gt=0)


class WebhookSettings(BaseSettings):
    """FACILITY_WEBHOOK_URL (and an optional bearer token); no URL means no webhook messages."""

    model_config = SettingsConfigDict(env_prefix="FACILITY_WEBHOOK_", extra="ignore")

    url: HttpAddress = ""
    token: str = ""
    timeout_s: float = Field(default=10.0, gt=0)


class SmsSettings(BaseSettings):
    """FACILITY_SMS_URL: a text-message (SMS / 알림톡) gateway's webhook; no URL means no texts."""

    model_config = SettingsConfigDict(env_prefix="FACILITY_SMS_", extra="ignore")

    url: HttpAddress = ""
    token: str = ""
    sender: str = Field(default="", max_length=20)
    timeout_s: float = Field(default=10.0, gt=0)


class SensorSettings(BaseSettings):
    """The sensors domain and the gateway (prefix FACILITY_, like the core settings)."""

    model_config = SettingsConfigDict(env_prefix="FACILITY_", extra="ignore")

    # Raw points older than this expire (InfluxDB retention policy "raw").
    readings_retention_days: int = Field(default=30, gt=0)
    # The embedded SQL store is for the demo and small sites: it keeps a week by default.
    sql_readings_retention_days: int = Field(default=7, gt=0)
    # InfluxDB 1.x: also keep 5-minute means this long in the "rollup" policy (0 = no rollup).
    readings_rollup_days: int = Field(default=400, ge=0)
    # Device profiles the gateway reads, comma separated (facility, zigbee2mqtt, tasmota, shelly,
    # homeassistant or esphome, chirpstack, ttn); `all` is every built-in one.
    device_profiles: str = "all"
    # A YAML mapping file for devices no built-in profile knows (see facility/sensors/profiles/mapping.py).
    device_mapping_file: str = ""
    gateway_client_id: str = "facility-gateway-1"
    # Gateways sharing this group split the load ($share/<group>/<filter>); empty = subscribe alone.
    gateway_share_group: str = "facility"
    spool_max_mb: int = Field(default=512, gt=0)
    gateway_metrics_port: int = Field(default=0, ge=0, lt=65536)
    # Commands (docs/sensors.md, "Commands"): a command the device has not confirmed after this
    # long is sent again, and after this many sends it fails with an alert; one device is told
    # at most one command per gap (a flapping automation must not hammer a relay).
    command_retry_s: float = Field(default=15.0, gt=0)
    command_max_attempts: int = Field(default=3, gt=0)
    command_device_gap_s: float = Field(default=1.0, ge=0)
    simulate_interval_s: float = Field(default=10.0, gt=0)
    # Home Assistant discovery: announced topics must start with one of these (comma separated;
    # empty = any concrete topic), and at most this many devices may be announced.
    discovery_topic_prefixes: str = ""
    discovery_max_devices: int = Field(default=1000, gt=0)
    # Zigbee2MQTT `mqtt.base_topic`s read (comma separated; one per coordinator).
    zigbee2mqtt_base_topics: str = "zigbee2mqtt"
    # Tasmota FullTopic patterns read (comma separated): %prefix%, %topic% in the devices' order.
    tasmota_full_topics: str = "%prefix%/%topic%/"


class EnergySettings(BaseSettings):
    """Bookings drive the building (FACILITY_ENERGY_*): the learned lead's bounds, the no-show
    release, how early modes are driven and the fixed schedule savings are measured against."""

    model_config = SettingsConfigDict(env_prefix="FACILITY_ENERGY_", extra="ignore")

    lead_min_minutes: int = Field(default=15, ge=0, le=600)
    lead_max_minutes: int = Field(default=180, ge=0, le=600)
    # No presence this long after a booking's start releases it as a no-show (0: never).
    no_show_minutes: int = Field(default=15, ge=0, le=240)
    # Bookings this long or longer are never released for absence (all-day courses come and go).
    no_show_max_hours: float = Field(default=4.0, gt=0)
    # Desired states are set this early, so the command reaches the device before the mode starts.
    drive_ahead_minutes: int = Field(default=5, ge=0, le=60)
    # The fixed schedule the building ran before (local hours, every day): the savings baseline.
    baseline_start_hour: int = Field(default=7, ge=0, le=23)
    baseline_end_hour: int = Field(default=22, ge=1, le=24)


class InstitutionSettings(BaseSettings):
    """FACILITY_INSTITUTION_*: who issues permits, invoices and tax invoices, and where to pay.

    Unset values are left off the documents (never a placeholder); an invalid business number
    stops the start, since every tax invoice would carry it.
    """

    model_config = SettingsConfigDict(env_prefix="FACILITY_INSTITUTION_", extra="ignore")

    name: str = ""
    business_number: str = ""
    representative: str = ""
    address: str = ""
    email: str = ""
    # One line as renters copy it: "신한은행 100-035-123456 (예금주 서울특별시교육청교육연수원)".
    bank_account: str = ""
    # A PNG or JPEG of the institution's seal (직인), printed on the use permit.
    seal_image: str = ""
    # Published in the open-data feed (instUrlAddr, lat/lot).
    url: HttpAddress = ""
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("business_number")
    @classmethod
    def _checked_business_number(cls, value: str) -> str:
        if value and not business_number.is_valid(value):
            raise ValueError("is not a valid business registration number (check digit)")
        return business_number.formatted(value) if value else value

    @field_validator("seal_image")
    @classmethod
    def _seal_is_a_file(cls, value: str) -> str:
        if value and not Path(value).is_file():
            raise ValueError(f"{value}: no such file")
        return value


@dataclass(frozen=True)
class ImportLimits:
    """What an uploaded CSV or XLSX may hold; checked while it is read (facility/imports/files.py)."""

    # Campus files are a few thousand rows; these leave room for 20,000 and refuse what no campus has.
    file_bytes: int = 10 * 1024 * 1024
    unzipped_bytes: int = 100 * 1024 * 1024
    # An XLSX member compressing better than this is a zip bomb; real sheets compress about 10:1.
    zip_ratio: int = 200
    rows: int = 50_000
    columns: int = 50
    cells: int = 1_000_000
    field_chars: int = 10_000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACILITY_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str = ""
    secret_key: str = ""
    timezone: str = "Asia/Seoul"
    # Where people reach the web app (https://facility.example.ac.kr): links in e-mails are absolute,
    # since a mail client cannot open a relative one.
    base_url: HttpAddress = "http://localhost:8000"
    cookie_secure: bool = False
    token_ttl_minutes: int = 12 * 60
    mqtt_url: str = ""
    influx_url: HttpAddress = ""
    influx_api: Literal["v1", "v2"] = "v1"
    influx_db: str = "facility"
    influx_token: str = ""
    influx_org: str = ""
    influx_bucket: str = "facility"
    # Demo mode shows the e-mail outbox in the UI instead of sending it.
    demo: bool = False
    db_lock_timeout_ms: int = DatabaseLimits.lock_timeout_ms
    db_statement_timeout_ms: int = DatabaseLimits.statement_timeout_ms
    db_idle_in_transaction_timeout_ms: int = DatabaseLimits.idle_in_transaction_timeout_ms
    db_pool_size: int = DatabaseLimits.pool_size
    db_pool_timeout_s: float = DatabaseLimits.pool_timeout_s
    # Connections all facility processes of this host may hold together (web workers x (pool +
    # overflow), scheduler, gateway): `serve --workers` refuses more, `doctor` compares it with
    # PostgreSQL's max_connections. 0: undeclared (doctor then counts one web process).
    db_max_connections_per_host: int = 0
    max_concurrent_requests: int = AdmissionLimits.concurrent_requests
    admission_wait_ms: int = AdmissionLimits.wait_ms
    worker_threads: int = AdmissionLimits.worker_threads
    shutdown_grace_s: int = 5
    # `/metrics` answers only a request bearing this token; unset, it answers 404 to everyone.
    metrics_token: str = ""
    # Addresses or networks of the reverse proxies allowed to set X-Forwarded-For/-Proto,
    # comma-separated ("10.0.0.5,10.1.0.0/16"). None by default: the peer's address is the client's.
    trusted_proxies: str = ""
    import_max_file_bytes: int = ImportLimits.file_bytes
    import_max_unzipped_bytes: int = ImportLimits.unzipped_bytes
    import_max_zip_ratio: int = ImportLimits.zip_ratio
    import_max_rows: int = ImportLimits.rows
    import_max_columns: int = ImportLimits.columns
    import_max_cells: int = ImportLimits.cells
    import_max_field_chars: int = ImportLimits.field_chars
    # A TrueType/OpenType font (or collection) with Korean glyphs for PDF documents; unset, the usual
    # system fonts are looked for (Noto Sans CJK, Nanum). `doctor` says when none is found.
    pdf_font: str = ""

    # The sections, each read from its own variables (FACILITY_SMTP_*, FACILITY_WEBHOOK_*, ...).
    mail: MailSettings = Field(default_factory=lambda: MailSettings())
    webhook: WebhookSettings = Field(default_factory=lambda: WebhookSettings())
    sms: SmsSettings = Field(default_factory=lambda: SmsSettings())
    sensors: SensorSettings = Field(default_factory=lambda: SensorSettings())
    energy: EnergySettings = Field(default_factory=lambda: EnergySettings())
    institution: InstitutionSettings = Field(default_factory=lambda: InstitutionSettings())

    @field_validator("secret_key", "metrics_token")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        # Unset is fine: the key is then generated into the data directory, /metrics answers 404.
        weakness = value and secret_weakness(value)
        if weakness:
            raise ValueError(weakness)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value and not value.split(":", 1)[0].startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_scheme(cls, value: str) -> str:
        if value and not value.startswith(("mqtt://", "mqtts://")):
            raise ValueError("must start with mqtt:// or mqtts://")
        return value

    @field_validator(
        "db_lock_timeout_ms",
        "db_statement_timeout_ms",
        "db_idle_in_transaction_timeout_ms",
        "db_pool_size",
        "db_pool_timeout_s",
        "max_concurrent_requests",
        "admission_wait_ms",
        "worker_threads",
        "import_max_file_bytes",
        "import_max_unzipped_bytes",
        "import_max_zip_ratio",
        "import_max_rows",
        "import_max_columns",
        "import_max_cells",
        "import_max_field_chars",
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        # PostgreSQL reads 0 as "no timeout": exactly the hang these settings exist to prevent.
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

    @model_validator(mode="after")
    def _admission_below_pool_and_threads(self) -> Settings:
        if self.max_concurrent_requests > self.db_pool_size:
            raise ValueError("FACILITY_MAX_CONCURRENT_REQUESTS must not exceed FACILITY_DB_POOL_SIZE")
        if self.max_concurrent_requests >= self.worker_threads:
            raise ValueError("FACILITY_MAX_CONCURRENT_REQUESTS must be below FACILITY_WORKER_THREADS")
        return self

    @property
    def database_limits(self) -> DatabaseLimits:
        return DatabaseLimits(
            lock_timeout_ms=self.db_lock_timeout_ms,
            statement_timeout_ms=self.db_statement_timeout_ms,
            idle_in_transaction_timeout_ms=self.db_idle_in_transaction_timeout_ms,
            pool_size=self.db_pool_size,
            pool_timeout_s=self.db_pool_timeout_s,
        )

    @property
    def admission_limits(self) -> AdmissionLimits:
        return AdmissionLimits(
            concurrent_requests=self.max_concurrent_requests,
            wait_ms=self.admission_wait_ms,
            worker_threads=self.worker_threads,
        )

    @property
    def import_limits(self) -> ImportLimits:
        return ImportLimits(
            file_bytes=self.import_max_file_bytes,
            unzipped_bytes=self.import_max_unzipped_bytes,
            zip_ratio=self.import_max_zip_ratio,
            rows=self.import_max_rows,
            columns=self.import_max_columns,
            cells=self.import_max_cells,
            field_chars=self.import_max_field_chars,
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"{part!r} is not an IP address or network") from exc
        return value

    @property
    def proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver named for PostgreSQL."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'facility.db').resolve()}"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


SECTIONS: dict[str, type[BaseSettings]] = {
    section.__name__: section
    for section in (Settings, MailSettings, WebhookSettings, SensorSettings, EnergySettings, InstitutionSettings)
}


def load_settings() -> Settings:
    """Read and check the whole tree, turning pydantic's report into one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        section = SECTIONS.get(exc.title, Settings)
        prefix = str(section.model_config.get("env_prefix", "FACILITY_"))
        name = prefix + str(first["loc"][0]).upper() if first["loc"] else prefix + "*"
        reason = first["msg"].removeprefix("Value error, ")
        raise SettingsError(_("invalid setting {name}: {reason}", name=name, reason=reason)) from None


_active: ContextVar[Settings | None] = ContextVar("facility_settings", default=None)
_process: list[Settings] = []


def install(settings: Settings) -> None:
    """Make `settings` this process's tree, for code running outside a request or a tick."""
    _process[:] = [settings]


@contextmanager
def using(settings: Settings) -> Iterator[Settings]:
    """Run a request, a tick or a command with `settings` as the active tree."""
    token = _active.set(settings)
    try:
        yield settings
    finally:
        _active.reset(token)


def absolute_url(path: str) -> str:
    """`path` under FACILITY_BASE_URL, for links that leave the web app (e-mail, webhook)."""
    return active_settings().base_url.rstrip("/") + "/" + path.lstrip("/")


def active_settings() -> Settings:
    """The tree of the request, tick or command being run (set by the app, scheduler or CLI)."""
    settings = _active.get() or (_process[0] if _process else None)
    if settings is None:
        raise SettingsError("no settings are active: load them at start (load_settings, then install)")
    return settings
