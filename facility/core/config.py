"""Settings from the environment (prefix FACILITY_); a bad value stops the start with one clear line."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    cookie_secure: bool = False
    token_ttl_minutes: int = 12 * 60
    mqtt_url: str = ""
    influx_url: str = ""
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

    @field_validator("influx_url")
    @classmethod
    def _influx_scheme(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
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


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "FACILITY_" + str(first["loc"][0]).upper() if first["loc"] else "FACILITY_*"
        raise SettingsError(f"invalid setting {name}: {first['msg']}") from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
