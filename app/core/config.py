"""Settings read from the environment (prefix ``VEERKRACHT_``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide configuration; every field maps to ``VEERKRACHT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VEERKRACHT_", env_file=None)

    database_url: str = Field(
        default="sqlite:///./veerkracht.db",
        description="SQLAlchemy URL; sqlite:///path or postgresql+psycopg://user@host/db",
    )
    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    max_body_bytes: int = 1_048_576
    max_import_bytes: int = 52_428_800
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_pre_ping: bool = Field(
        default=False,
        description="Test each PostgreSQL connection with a round trip before use. Off: a "
        "connection lost since its last use fails one request with a 503 problem (Retry-After) "
        "and the pool is renewed; on: that request succeeds, every request pays the round trip.",
    )
    db_pool_recycle_seconds: int = Field(
        default=1800,
        ge=-1,
        description="Replace pooled PostgreSQL connections older than this (-1: never), "
        "before a firewall or server timeout closes them unseen.",
    )
    db_echo: bool = False
    row_cache_entries: int = Field(
        default=20_000,
        ge=0,
        description="Row versions whose JSON an instance remembers for lists (core/rowcache.py); "
        "about 0.6 kB each. 0 turns it off.",
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long an instance remembers an authenticated key (0: never). "
        "Revocations reach other instances within this time.",
    )


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
