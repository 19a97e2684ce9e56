"""``veerkracht import`` and ``veerkracht export``: the HTTP client for HR officers' scripts.

    veerkracht import employees medewerkers.csv --url https://... --api-key vk_...
    veerkracht export employees --output medewerkers.csv

The URL and key also come from ``VEERKRACHT_URL`` and ``VEERKRACHT_API_KEY``. Every import
is sent with an ``Idempotency-Key``, so the client can retry a dropped connection without
importing twice. Exit codes: 0 success, 1 the server rejected or refused the import
(422/413/415/409, or, with ``--partial``, some rows), 2 usage, authentication, connection
or server error.
"""

import argparse
import functools
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx

from app.cli import Handler, command
from app.imports.models import ImportKind

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
DEFAULT_URL = "http://127.0.0.1:8000"
CHUNK = 256 * 1024
RETRIES = 3
KINDS = [k.value for k in ImportKind]


class UsageError(Exception):
    """Wrong arguments, no key, no server: exit 2 with the message."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


class Progress:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self, label: str, total: int | None, *, enabled: bool) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            self._draw()

    def _draw(self) -> None:
        mb = self.done / 1_048_576
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            line = f"{self.label} [{bar:<30}] {frac:4.0%} {mb:.1f}/{self.total / 1_048_576:.1f} MB"
        else:
            line = f"{self.label} {mb:.1f} MB"
        sys.stderr.write("\r" + line)
        sys.stderr.flush()

    def finish(self, message: str = "") -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 70 + "\r" + (message + "\n" if message else ""))
            sys.stderr.flush()


def _client_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--url",
        default=os.environ.get("VEERKRACHT_URL", DEFAULT_URL),
        help=f"API base URL (env VEERKRACHT_URL; default {DEFAULT_URL})",
    )
    p.add_argument(
        "--api-key",
        default=os.environ.get("VEERKRACHT_API_KEY"),
        help="API key with write scope for import, read for export (env VEERKRACHT_API_KEY)",
    )
    p.add_argument("--timeout", type=float, default=900.0, help="seconds (default 900)")
    p.add_argument("--no-progress", action="store_true", help="never draw a progress bar")


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=KINDS)
    p.add_argument("file", type=Path, help="a .csv (any delimiter/encoding) or .json file")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.add_argument("--partial", action="store_true", help="write the valid rows, report others")
    p.add_argument(
        "--deactivate-missing",
        action="store_true",
        help="employees: deactivate active employees absent from the file (full sync)",
    )
    p.add_argument("--idempotency-key", help="default: a new random key per run")
    p.add_argument("--json", action="store_true", help="print the server's JSON answer")
    _client_args(p)


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    _client_args(p)


def _headers(args: argparse.Namespace) -> dict[str, str]:
    if not args.api_key:
        raise UsageError("no API key: pass --api-key or set VEERKRACHT_API_KEY")
    return {"Authorization": f"Bearer {args.api_key}", "User-Agent": "veerkracht-cli"}


def _base(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--url must start with http:// or https://, not {url!r}")
    return url.rstrip("/")


def _content_type(path: Path, data: bytes) -> str:
    if path.suffix.lower() == ".json" or data.lstrip()[:1] in (b"[", b"{"):
        return "application/json"
    return "text/csv"


def _upload(data: bytes, progress: Progress) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        progress.advance(len(chunk))
        yield chunk


def _post_with_retries(
    client: httpx.Client, url: str, data: bytes, headers: dict[str, str], show: bool
) -> httpx.Response:
    # The same Idempotency-Key on every attempt: a retry after a dropped connection (or a
    # 409 while the first attempt still runs) gets the first answer, never a second import.
    for attempt in range(1, RETRIES + 1):
        progress = Progress("uploading", len(data), enabled=show)
        try:
            response = client.post(url, content=_upload(data, progress), headers=headers)
        except httpx.TransportError as exc:
            progress.finish()
            if attempt == RETRIES:
                raise UsageError(f"cannot reach {url}: {exc}") from None
            _err(f"connection problem ({exc}); retrying ({attempt}/{RETRIES - 1})")
            time.sleep(attempt)
            continue
        progress.finish()
        retryable = response.status_code in (409, 503) and response.headers.get("retry-after")
        if retryable and attempt < RETRIES:
            wait = float(response.headers.get("retry-after", "1"))
            _err(f"server busy ({response.status_code}); retrying in {wait:g}s")
            time.sleep(wait)
            continue
        return response
    raise AssertionError("unreachable")


def _client_command(
    name: str, help_: str, configure: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Handler], Handler]:
    """Register a subcommand whose ``UsageError`` is exit 2 with the message."""

    def register(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def run(args: argparse.Namespace) -> int:
            try:
                return fn(args)
            except UsageError as exc:
                _err(f"veerkracht {name}: {exc}")
                return EXIT_USAGE

        return command(name, help_, configure)(run)

    return register


@_client_command(
    "import", "send a CSV or JSON file to the API (bulk upsert) and print a summary", _import_args
)
def import_command(args: argparse.Namespace) -> int:
    """``veerkracht import KIND FILE``."""
    headers = _headers(args)
    base = _base(args.url)
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    headers["Content-Type"] = _content_type(path, data)
    headers["Content-Length"] = str(len(data))
    headers["Idempotency-Key"] = args.idempotency_key or str(uuid.uuid4())
    params = {
        "dry_run": str(args.dry_run).lower(),
        "mode": "partial" if args.partial else "all_or_nothing",
    }
    if args.deactivate_missing:
        params["deactivate_missing"] = "true"
    url = str(httpx.URL(f"{base}/v1/imports/{args.kind}", params=params))
    show = not args.no_progress and len(data) > CHUNK
    with httpx.Client(timeout=httpx.Timeout(args.timeout, connect=10.0)) as client:
        response = _post_with_retries(client, url, data, headers, show)
    body = _json(response)
    if args.json:
        _out(json.dumps(body, indent=2, ensure_ascii=False))
    if response.status_code == 200:
        if not args.json:
            _print_result(args, body)
        return EXIT_REJECTED if body.get("failed") else EXIT_OK
    if response.status_code in (413, 415, 422):
        if not args.json:
            _print_rejection(args, body)
        return EXIT_REJECTED
    if response.status_code == 409:
        # The server refused the import as a whole (an e-mail address meeting the unique
        # constraint, the same Idempotency-Key still running after the retries): the run
        # failed, exit 1 as for a rejected file. 2 is argparse's usage-error convention.
        if body.get("code") == "idempotency-key-in-use":
            # Not refused: the first attempt with this key still runs, and may commit.
            _err(
                "veerkracht import: an earlier attempt with this Idempotency-Key is still "
                "running on the server and may still complete; run again with "
                f"--idempotency-key {headers['Idempotency-Key']} to get its result."
            )
            return EXIT_REJECTED
        _err(f"veerkracht import: refused, nothing written: {_describe(response, body)}")
        if not args.json:
            _print_errors(body.get("errors") or [])
        return EXIT_REJECTED
    raise UsageError(_describe(response, body))


@_client_command(
    "export", "download a kind as CSV, in the format the import takes back", _export_args
)
def export_command(args: argparse.Namespace) -> int:
    """``veerkracht export KIND``."""
    headers = _headers(args)
    url = f"{_base(args.url)}/v1/exports/{args.kind}"
    # Into a file beside the target, renamed over it once the whole export arrived: a
    # refused or broken download leaves the file that was there untouched.
    part = args.output.with_name(f".{args.output.name}.part") if args.output else None
    target: IO[bytes] = part.open("wb") if part else sys.stdout.buffer
    done = False
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(args.timeout, connect=10.0)) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                response.read()
                raise UsageError(_describe(response, _json(response)))
            size = response.headers.get("content-length")
            progress = Progress(
                "downloading",
                int(size) if size else None,
                enabled=not args.no_progress and args.output is not None,
            )
            rows = 0
            for chunk in response.iter_bytes(CHUNK):
                target.write(chunk)
                rows += chunk.count(b"\n")
                progress.advance(len(chunk))
            progress.finish()
        done = True
    except httpx.TransportError as exc:
        raise UsageError(f"cannot reach {url}: {exc}") from None
    finally:
        if part is not None:
            target.close()
            if done:
                part.replace(args.output)
            else:
                part.unlink(missing_ok=True)
    if args.output:
        _err(f"wrote {max(rows - 1, 0)} {args.kind} rows to {args.output}")
    return EXIT_OK


# --- output -----------------------------------------------------------------------------


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:500]}
    return body if isinstance(body, dict) else {"detail": str(body)[:500]}


def _describe(response: httpx.Response, body: dict[str, Any]) -> str:
    detail = body.get("detail") or body.get("title") or response.reason_phrase
    return f"HTTP {response.status_code}: {detail}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]


def _print_errors(errors: list[dict[str, Any]]) -> None:
    if not errors:
        return
    _out(f"\nRow errors ({len(errors)}):")
    rows = [["row", "column", "value", "message"]]
    for e in errors:
        value = "" if e.get("value") is None else str(e["value"])
        value = value if len(value) <= 40 else value[:37] + "..."
        rows.append(
            [
                str(e.get("row", "")),
                str(e.get("column") or ""),
                value,
                str(e.get("message") or e.get("detail") or ""),
            ]
        )
    for line in _table(rows):
        _out(line)


def _print_result(args: argparse.Namespace, body: dict[str, Any]) -> None:
    if body.get("dry_run"):
        outcome = "dry run: validated, nothing written"
    elif body.get("failed"):
        outcome = "partly written: the rows below were skipped"
    else:
        outcome = "written"
    fmt = body.get("format", "?")
    if fmt == "csv":
        delimiter = {"\t": "tab", None: "?"}.get(body.get("delimiter"), repr(body.get("delimiter")))
        fmt = f"CSV, {body.get('encoding')}, {delimiter}-separated"
    _out(f"Import of {args.kind} from {args.file}: {outcome}")
    _out(f"  {fmt}, {body.get('total', 0)} rows, mode {body.get('mode')}")
    counts = [["created", "updated", "unchanged", "deactivated", "failed"]]
    counts.append([str(body.get(k, 0)) for k in counts[0]])
    _out()
    for line in _table(counts):
        _out(line)
    if body.get("ignored_columns"):
        _out("\nIgnored columns (no matching field): " + ", ".join(body["ignored_columns"]))
    if body.get("warnings"):
        _out("\nWarnings:")
        for w in body["warnings"]:
            _out(f"  - {w}")
    _print_errors(body.get("errors") or [])


def _print_rejection(args: argparse.Namespace, body: dict[str, Any]) -> None:
    _out(f"Import of {args.kind} from {args.file}: rejected, nothing written")
    _out(f"  {body.get('detail') or body.get('title')}")
    _print_errors(body.get("errors") or [])
