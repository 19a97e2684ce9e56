"""The app's three hottest reads written by hand: the reference of issue #16 item 1.

A bare ASGI app, no framework: the API key is checked against the one key remembered at
startup (its stored SHA-256 read once, then a dict lookup on the Authorization header),
one query through the raw driver (sqlite3; psycopg 3 with a small pool of its own) with
the tenant filter ``organisation_id = ?``, and standard-library ``json`` writes the same
fields, in the same order, as the app's ``EmployeePublic`` (app/organisation/models.py).
A page first asks the change feed's position for its ``sync_token``, as the app does.

  GET /v1/employees/{id}                      one employee
  GET /v1/employees?team_id=...&limit=100     a team's page, ordered by id
  GET /v1/employees?limit=100                 the first page

Served like the app (bench/serve.py) with ``VEERKRACHT_DATABASE_URL`` and
``VEERKRACHT_BENCH_KEY`` (the API key to remember); ``VEERKRACHT_BENCH_POOL`` sizes the
PostgreSQL pool (default 4). Everything else is a 404: this is a yardstick, not a service.
"""

import asyncio
import hashlib
import hmac
import json
import os
import sqlite3
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qs

from sqlalchemy.engine import make_url

from app.changes.service import HORIZON_SQL, Position
from app.core.config import get_settings
from app.core.engine import PRICE_RANDOM_READS
from app.core.pagination import encode_cursor

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# EmployeePublic's fields in its order, then its computed full_name.
COLUMNS = (
    "external_id",
    "first_name",
    "name_particle",
    "last_name",
    "email",
    "team_id",
    "function_group_id",
    "role",
    "active",
    "started_on",
    "ended_on",
    "id",
    "erased_at",
    "created_at",
    "updated_at",
)
ID = COLUMNS.index("id")
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM employee"
ONE_SQL = _SELECT + " WHERE id = {p} AND organisation_id = {p}"
PAGE_SQL = _SELECT + " WHERE organisation_id = {p} ORDER BY id LIMIT {p}"
TEAM_PAGE_SQL = _SELECT + " WHERE organisation_id = {p} AND team_id = {p} ORDER BY id LIMIT {p}"
MAX_LIMIT = 200
# A page's sync token (app/core/pagination.py): the change feed's visible end, asked before
# the page is read, as the app's current_position asks it; PostgreSQL hides the events of
# transactions still in flight (HORIZON_SQL), SQLite has none.
POSITION_SQL = (
    "SELECT txid, seq FROM change_event WHERE organisation_id = {p}{visible} "
    "ORDER BY txid DESC, seq DESC LIMIT 1"
)

Row = tuple[Any, ...]
ZERO = timedelta(0)


# --- the two databases -------------------------------------------------------------------


class SQLiteReads:
    """One connection per process, queried right on the event loop: the least a read costs
    by hand (a local file; the app itself may hop to a thread for it)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout=10000")

    visible = ""

    async def fetch(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        return self.conn.execute(sql.format(p="?"), params).fetchall()

    # Stored by SQLAlchemy as 32 hex digits, datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC.
    @staticmethod
    def db_id(value: uuid.UUID) -> Any:
        return value.hex

    @staticmethod
    def api_id(value: Any) -> str | None:
        if value is None:
            return None
        h = str(value)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    @staticmethod
    def api_datetime(value: Any) -> str | None:
        if value is None:
            return None
        s = str(value)
        fraction = s[20:26]
        head = s[:10] + "T" + s[11:19]
        return head + ("Z" if not fraction or fraction == "000000" else "." + fraction + "Z")

    @staticmethod
    def api_date(value: Any) -> str | None:
        return None if value is None else str(value)

    @staticmethod
    def id_bytes(value: Any) -> bytes:
        return bytes.fromhex(str(value))

    async def close(self) -> None:
        self.conn.close()


class PostgresReads:
    """psycopg 3 (async) with a small pool of its own: a queue of open connections."""

    def __init__(self, conninfo: str, size: int) -> None:
        self.conninfo, self.size = conninfo, size
        self.pool: asyncio.Queue[Any] = asyncio.Queue()

    visible = " AND txid < " + HORIZON_SQL.replace("%", "%%")  # psycopg's placeholders

    async def open(self) -> None:
        import psycopg
        from psycopg.types.string import TextLoader

        for _ in range(self.size):
            # Timestamps arrive in UTC; ids stay text (the JSON wants text, not uuid.UUID).
            conn = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, options="-c TimeZone=UTC"
            )
            conn.adapters.register_loader("uuid", TextLoader)
            # The planner's prices the app's connections have (core/engine.py), so both
            # sides read by the same plans.
            cost = get_settings().db_random_page_cost
            if cost:
                await conn.execute(PRICE_RANDOM_READS, (str(cost),))
            self.pool.put_nowait(conn)

    async def fetch(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        conn = await self.pool.get()
        try:
            cur = await conn.execute(sql.format(p="%s"), params)
            return list(await cur.fetchall())
        finally:
            self.pool.put_nowait(conn)

    @staticmethod
    def db_id(value: uuid.UUID) -> Any:
        return value

    @staticmethod
    def api_id(value: Any) -> str | None:
        return cast(str | None, value)  # already hyphenated text (the uuid loader above)

    @staticmethod
    def api_datetime(value: Any) -> str | None:
        if value is None:
            return None
        utc: datetime = value if value.utcoffset() == ZERO else value.astimezone(UTC)
        # isoformat leaves a zero fraction out, as pydantic does.
        return utc.replace(tzinfo=None).isoformat() + "Z"

    @staticmethod
    def api_date(value: Any) -> str | None:
        return None if value is None else date.isoformat(value)

    @staticmethod
    def id_bytes(value: Any) -> bytes:
        return uuid.UUID(value).bytes

    async def close(self) -> None:
        while not self.pool.empty():
            await self.pool.get_nowait().close()


Reads = SQLiteReads | PostgresReads


class State:
    db: Reads
    keys: dict[bytes, Any]  # the Authorization header -> the organisation's id as stored


STATE = State()


async def startup() -> None:
    url = make_url(os.environ["VEERKRACHT_DATABASE_URL"])
    db: Reads
    if url.get_backend_name() == "sqlite":
        db = SQLiteReads(str(url.database))
    else:
        pg = PostgresReads(
            url.set(drivername="postgresql").render_as_string(hide_password=False),
            int(os.environ.get("VEERKRACHT_BENCH_POOL", "4")),
        )
        await pg.open()
        db = pg
    # The key's stored hash, read once: afterwards a request costs one dict lookup.
    key = os.environ["VEERKRACHT_BENCH_KEY"]
    prefix = key.split("_")[1]
    p = "?" if isinstance(db, SQLiteReads) else "%s"
    rows = await db.fetch(
        f"SELECT key_hash, organisation_id FROM api_key WHERE prefix = {p} AND revoked_at IS NULL",
        (prefix,),
    )
    if not rows or not hmac.compare_digest(rows[0][0], hashlib.sha256(key.encode()).hexdigest()):
        raise RuntimeError("VEERKRACHT_BENCH_KEY is not a live key of this database")
    STATE.db = db
    STATE.keys = {f"Bearer {key}".encode(): rows[0][1]}


# --- JSON ----------------------------------------------------------------------------------


def employee(db: Reads, row: Row) -> dict[str, Any]:
    """A row as the app's EmployeePublic JSON object (same keys, same order)."""
    first, particle, last = row[1], row[2], row[3]
    return {
        "external_id": row[0],
        "first_name": first,
        "name_particle": particle,
        "last_name": last,
        "email": row[4],
        "team_id": db.api_id(row[5]),
        "function_group_id": db.api_id(row[6]),
        "role": row[7],
        "active": bool(row[8]),
        "started_on": db.api_date(row[9]),
        "ended_on": db.api_date(row[10]),
        "id": db.api_id(row[11]),
        "erased_at": db.api_datetime(row[12]),
        "created_at": db.api_datetime(row[13]),
        "updated_at": db.api_datetime(row[14]),
        "full_name": " ".join(p for p in (first, particle, last) if p),
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# --- HTTP ------------------------------------------------------------------------------------

PROBLEM = {
    401: b'{"status":401,"title":"Unauthorized"}',
    404: b'{"status":404,"title":"Not Found"}',
    422: b'{"status":422,"title":"Unprocessable Content"}',
}


async def respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_one(organisation: Any, employee_id: str) -> tuple[int, bytes]:
    db = STATE.db
    try:
        wanted = uuid.UUID(employee_id)
    except ValueError:
        return 422, PROBLEM[422]
    rows = await db.fetch(ONE_SQL, (db.db_id(wanted), organisation))
    if not rows:
        return 404, PROBLEM[404]
    return 200, dumps(employee(db, rows[0]))


async def read_page(organisation: Any, query: bytes) -> tuple[int, bytes]:
    db = STATE.db
    args = parse_qs(query.decode("latin-1"))
    try:
        limit = int(args.get("limit", ["50"])[0])
        team = uuid.UUID(args["team_id"][0]) if "team_id" in args else None
    except ValueError:
        return 422, PROBLEM[422]
    if not 1 <= limit <= MAX_LIMIT:
        return 422, PROBLEM[422]
    found = await db.fetch(POSITION_SQL.replace("{visible}", db.visible), (organisation,))
    txid, seq = found[0] if found and found[0][1] is not None else (0, 0)
    # The app's own token and cursor writers: the by-hand side differs in how it gets there.
    position = Position(txid, seq, datetime.now(UTC)).encode()
    if team is None:
        rows = await db.fetch(PAGE_SQL, (organisation, limit + 1))
    else:
        rows = await db.fetch(TEAM_PAGE_SQL, (organisation, db.db_id(team), limit + 1))
    cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        cursor = encode_cursor(uuid.UUID(bytes=db.id_bytes(rows[-1][ID])), position)
    items = [employee(db, r) for r in rows]
    return 200, dumps({"items": items, "next_cursor": cursor, "sync_token": position})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await STATE.db.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    if path == "/healthz":
        await respond(send, 200, b'{"status":"ok"}')
        return
    organisation = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            organisation = STATE.keys.get(value)
            break
    if organisation is None:
        await respond(send, 401, PROBLEM[401])
        return
    if path == "/v1/employees":
        status, body = await read_page(organisation, scope["query_string"])
    elif path.startswith("/v1/employees/") and path.count("/") == 3:
        status, body = await read_one(organisation, path.rsplit("/", 1)[1])
    else:
        status, body = 404, PROBLEM[404]
    await respond(send, status, body)
