"""Settings read from the environment (prefix ``VEERKRACHT_``)."""

from functools import lru_cache

from pydantic import Field, model_validator
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
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="Connections each process keeps once opened (both databases); with "
        "db_max_overflow, how many requests of one process use the database at once.",
    )
    db_max_overflow: int = Field(
        default=0,
        ge=0,
        description="Connections a process may open beyond db_pool_size under load. Each is "
        "closed when given back while the pool holds db_pool_size idle ones, so a load whose "
        "number of connections in use swings by more than the pool size opens them again and "
        "again (docs/scaling.md): keep 0 unless the database's connection budget needs the "
        "pool to shrink after a burst.",
    )
    db_acquire_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long a request waits for a free connection before it is answered "
        "503 with Retry-After (it waits on the event loop, holding no thread).",
    )
    threads: int = Field(
        default=40,
        ge=2,
        description="Worker threads per process, where all database work runs; must exceed "
        "db_pool_size + db_max_overflow so every request holding a connection gets a thread.",
    )
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        description="How long an idle keep-alive connection stays open. Longer than a load "
        "balancer's or client pool's idle time (often 60 s), so the server never closes a "
        "connection just as the client sends on it.",
    )
    shutdown_grace_seconds: int = Field(
        default=10,
        ge=0,
        description="On SIGTERM, how long requests in flight may finish before they are "
        "cancelled and the process exits.",
    )
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
    db_server_side_prepare: bool = Field(
        default=True,
        description="Let psycopg prepare statements it runs often on the PostgreSQL server. "
        "Turn off behind a pooler in transaction mode that cannot keep them (PgBouncer "
        "before 1.21, or without max_prepared_statements): a prepared statement belongs to "
        "one server connection, and the pooler hands each transaction another one.",
    )
    db_random_page_cost: float = Field(
        default=1.1,
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="PostgreSQL: the planner's price of a random page read, set on each new "
        "connection where the server has no value of its own (its built-in 4 prices storage "
        "as spinning disks); 0 never sets it. 1.1 suits SSD and network storage, and lets "
        "the planner read an organisation's page from its own index instead of walking "
        "every tenant's rows (docs/performance.md). Behind a pooler (PgBouncer in "
        "transaction mode, RDS Proxy) set 0 and ALTER ROLE ... SET random_page_cost.",
    )
    db_async_reads: bool = Field(
        default=True,
        description="PostgreSQL: run the hot reads (employee lists, one employee) through "
        "psycopg's async mode on the event loop instead of a worker thread (core/db.py). "
        "Uses a second pool of the same bounds; the connection slots bound both together.",
    )
    db_sqlite_readers: int = Field(
        default=2,
        ge=1,
        description="SQLite: requests' reads of one process that run at once (each also holds "
        "a connection slot). SQLite's reads are the process's own CPU work in worker threads: "
        "more at once only make those threads and the event loop take turns for the "
        "interpreter (docs/performance.md). Writes have their own turn, and brief look-ups "
        "(a key, /readyz) take none. A long read (an export, a large report) holds its turn "
        "throughout: raise this where such reads often overlap.",
    )
    db_echo: bool = False
    row_cache_entries: int = Field(
        default=20_000,
        ge=0,
        description="Row versions whose JSON an instance remembers for lists (core/rowcache.py); "
        "about 0.6 kB each. 0 turns it off.",
    )
    change_retention_days: int = Field(
        default=30,
        ge=1,
        description="How long the change feed keeps events; a cursor older than this is "
        "answered 410 (resync). The worker deletes older events.",
    )
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Let webhook subscriptions call loopback and private addresses "
        "(tests, a receiver inside the network). Off: refused, against SSRF.",
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long an instance remembers an authenticated key (0: never). "
        "Revocations reach other instances within this time.",
    )
    oidc_http_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Timeout of each request to an identity provider; the whole fetch, name "
        "lookups included, ends after twice this.",
    )
    oidc_jwks_cache_seconds: float = Field(
        default=3600, ge=0, description="How long an issuer's signing keys are kept."
    )
    oidc_jwks_refetch_seconds: float = Field(
        default=60,
        ge=0,
        description="A token with an unknown key id refetches the issuer's keys at most this "
        "often (key rotation), so made-up key ids cannot make the service fetch on every call.",
    )
    oidc_jwks_failure_seconds: float = Field(
        default=5,
        ge=0,
        description="How long a failed fetch of an issuer's keys is remembered: meanwhile its "
        "tokens are answered 503 at once, not each after the fetch timeout (0: never).",
    )
    oidc_jwks_stale_seconds: float = Field(
        default=3600,
        ge=0,
        description="When refreshing an issuer's expired keys fails (the provider is down), "
        "its last keys stay in use this much longer, so people signed in keep working; "
        "0: a failed refresh is a 503 at once.",
    )
    oidc_allow_private_issuers: bool = Field(
        default=False,
        description="Let identity providers live on loopback and private addresses (tests, "
        "an identity provider inside the network). Off: refused, against SSRF.",
    )
    oidc_clock_skew_seconds: int = Field(
        default=60, ge=0, le=300, description="Clock skew allowed for a token's exp and nbf."
    )
    dev_tokens: bool = Field(
        default=False,
        description="Development only: accept tokens of the dev issuer that `veerkracht "
        "dev-token` signs. Never on in production.",
    )
    dev_key_file: str = Field(
        default="./.veerkracht-dev-key.json",
        description="Where the dev issuer keeps its signing key (created when missing).",
    )

    @property
    def db_connections(self) -> int:
        """Connections one process may hold at once: the number of connection slots."""
        return self.db_pool_size + self.db_max_overflow

    @model_validator(mode="after")
    def _threads_exceed_connections(self) -> "Settings":
        # A request holding a connection must always find a thread (core/db.py): with fewer
        # threads than connections, slot holders could wait on each other's locks forever.
        if self.threads <= self.db_connections:
            raise ValueError(
                f"VEERKRACHT_THREADS ({self.threads}) must exceed VEERKRACHT_DB_POOL_SIZE + "
                f"VEERKRACHT_DB_MAX_OVERFLOW ({self.db_connections})"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
