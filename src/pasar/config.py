"""Settings read from the environment (prefix ``PASAR_``) with embedded defaults.

Example:
    >>> s = Settings(home="/tmp/p")
    >>> str(s.database_url).startswith("sqlite:///")
    True
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pasar.kit.clock import known_zone


class Settings(BaseSettings):
    """Every setting of Pasar. Each field is also ``PASAR_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="PASAR_", extra="ignore")

    home: Path = Field(default=Path(".pasar"), description="Where Pasar keeps all its files.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the operational store; SQLite in PASAR_HOME when empty.",
    )
    timezone: str = Field(default="Asia/Jakarta", description="Zone in which times are shown.")
    currency: str = Field(default="IDR", description="ISO 4217 code of the marketplace currency.")
    locale: Literal["en", "id"] = Field(default="en", description="Language of explanations.")
    catalog_path: str = Field(
        default="",
        description="Extra metric catalog directories, separated by ':' (after the shipped one).",
    )
    policy_path: str = Field(
        default="",
        description="Extra policy pack directories, separated by ':' (after the shipped packs).",
    )
    secure_cookies: bool = Field(
        default=False, description="Mark console cookies Secure (set it behind HTTPS)."
    )
    evidence_max_bytes: int = Field(
        default=5 * 1024 * 1024, gt=0, description="Largest evidence file a seller may upload."
    )
    api_threads: int = Field(
        default=8,
        ge=1,
        le=200,
        description="Threads per server worker running blocking work (database queries); also "
        "the size of its connection pool.",
    )
    api_cache: bool = Field(
        default=True,
        description="Serve sign-ins and sellers' standings from memory while their tables are "
        "unchanged (PostgreSQL only; docs/api.md#caching).",
    )
    governance_path: str = Field(
        default="",
        description="Extra governance scheme directories, separated by ':' (after the shipped).",
    )
    spark_master: str = Field(
        default="",
        description="Spark master URL of `--engine spark` (local[4], spark://host:7077, yarn, "
        "k8s://https://host:443); empty: the Spark session already running in this process, "
        "else local[2].",
    )
    spark_warehouse_uri: str = Field(
        default="",
        description="Where Spark's executors read PASAR_HOME/warehouse (the same files under "
        "another URI, e.g. s3a://bucket/pasar/warehouse); empty: its local path.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {value!r}")
        return value.upper()

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'pasar.db').resolve()}"
        return self

    @property
    def warehouse_dir(self) -> Path:
        """Parquet fact tables live here."""
        return self.home / "warehouse"

    @property
    def rejects_dir(self) -> Path:
        """Rows refused by ingestion land here with their reasons."""
        return self.home / "rejects"

    @property
    def evidence_dir(self) -> Path:
        """Evidence files attached to appeals, stored under a name derived from their content."""
        return self.home / "evidence"

    @property
    def snapshots_dir(self) -> Path:
        """Metric snapshots, one Parquet file per entity and date."""
        return self.home / "snapshots"

    @property
    def zone(self) -> ZoneInfo:
        """The display time zone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
