"""Settings from the environment (prefix FACILITY_); a bad value stops the start with one clear line."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A setting is invalid; the message names it."""


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
