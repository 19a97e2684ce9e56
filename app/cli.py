"""The ``veerkracht`` command: serve, migrate, demo, create-organisation, openapi, ..."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.core.config import get_settings
from app.core.engine import get_engine, new_session

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
ERRORS_DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "errors.md"

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Handler, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(
    name: str, help_: str, configure: Callable[[argparse.ArgumentParser], None] = lambda p: None
) -> Callable[[Handler], Handler]:
    """Register a subcommand (other modules add theirs, e.g. import and export)."""

    def register(fn: Handler) -> Handler:
        COMMANDS[name] = (fn, configure, help_)
        return fn

    return register


def _is_sqlite() -> bool:
    return make_url(get_settings().database_url).get_backend_name() == "sqlite"


def ensure_schema() -> None:
    """SQLite is migrated automatically; an outdated PostgreSQL schema stops the start.

    An embedded SQLite file belongs to this process alone, so upgrading it is safe. A
    server database is shared (other replicas, a migration job): starting on a schema the
    code does not match would fail on the first request, so refuse with what to do.
    """
    from app.core import migrate

    engine = get_engine()
    if migrate.is_up_to_date(engine):
        return
    if engine.dialect.name == "sqlite":
        migrate.upgrade(engine)
        return
    current, head = migrate.current_revision(engine), migrate.head_revision()
    where = engine.url.render_as_string(hide_password=True)
    state = "has no schema yet" if current is None else f"is at migration {current}"
    raise SystemExit(
        f"veerkracht: the database {where} {state}; this version needs migration {head}. "
        "Run `veerkracht migrate` first (docker compose runs it before the app starts)."
    )


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)


def uvicorn_options() -> dict[str, Any]:
    """How uvicorn serves this app, whatever starts it (serve, the benchmarks)."""
    from app.core.nodelay import HTTP_PROTOCOL

    settings = get_settings()
    return {
        # SIGTERM: stop accepting, let requests in flight finish for this long, then cancel
        # them and exit (a request stuck on a lock must not keep the process alive: main.py).
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "access_log": False,
        "log_config": None,
        "proxy_headers": True,
        # TCP_NODELAY also with --workers > 1: 40 ms less per keep-alive request (nodelay.py)
        "http": HTTP_PROTOCOL,
    }


@command("serve", "run the API with uvicorn", _serve_args)
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    ensure_schema()
    uvicorn.run(
        "app.main:app", host=args.host, port=args.port, workers=args.workers, **uvicorn_options()
    )
    return 0


@command("migrate", "upgrade the database schema to the newest migration")
def migrate_cmd(_args: argparse.Namespace) -> int:
    from app.core import migrate

    migrate.upgrade(get_engine())
    print(f"database at revision {migrate.current_revision(get_engine())}")
    return 0


def _org_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")


@command("create-organisation", "create an organisation and print its first admin key", _org_args)
def create_organisation(args: argparse.Namespace) -> int:
    from app.domains import register_domains
    from app.organisation import service

    register_domains()
    ensure_schema()
    with new_session() as session:
        org, key = service.create_organisation(session, name=args.name)
        session.commit()
    print(f"organisation {org.id} created: {org.name}")
    print(f"admin API key (shown once): {key}")
    return 0


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fresh", action="store_true", help="delete the SQLite database file first (SQLite only)"
    )
    p.add_argument("--base-url", default="http://127.0.0.1:8000")


@command("demo", "create a realistic demo organisation and print how to call it", _demo_args)
def demo(args: argparse.Namespace) -> int:
    from app import demo as demo_module
    from app.domains import register_domains

    register_domains()
    if args.fresh and _is_sqlite():
        db_path = make_url(get_settings().database_url).database
        if db_path and db_path != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(db_path + suffix).unlink(missing_ok=True)
    ensure_schema()
    with new_session() as session:
        result = demo_module.create_demo(session)
        session.commit()
    print(demo_module.instructions(result, base_url=args.base_url))
    return 0


def _openapi_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--check", action="store_true", help="fail when the committed file differs")
    p.add_argument("--output", type=Path, default=OPENAPI_PATH)


def openapi_text() -> str:
    """The OpenAPI document as committed: sorted keys, two-space indent, final newline."""
    from app.main import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@command("openapi", "write (or --check) openapi/openapi.json", _openapi_args)
def openapi(args: argparse.Namespace) -> int:
    from app.core.problems import markdown

    # The contract and its list of problem codes (docs/errors.md) are written together.
    outputs = [(args.output, openapi_text()), (ERRORS_DOC_PATH, markdown())]
    if args.check:
        stale = [
            path
            for path, text in outputs
            if (path.read_text(encoding="utf-8") if path.exists() else "") != text
        ]
        for path in stale:
            print(f"{path} is out of date: run `veerkracht openapi`", file=sys.stderr)
        if stale:
            return 1
        print(f"{args.output} and {ERRORS_DOC_PATH} are up to date")
        return 0
    for path, text in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    _load_plugins()
    parser = argparse.ArgumentParser(prog="veerkracht", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (fn, configure, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        configure(p)
        p.set_defaults(handler=fn)
    return parser


def _load_plugins() -> None:
    # Modules that register further commands (client commands live with the imports).
    from app.identity import cli as identity_cli
    from app.imports import cli as imports_cli
    from app.incidents import cli as incidents_cli
    from app.webhooks import worker as webhooks_worker

    del identity_cli, imports_cli, incidents_cli, webhooks_worker


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``veerkracht`` command."""
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
