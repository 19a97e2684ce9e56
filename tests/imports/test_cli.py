"""``veerkracht import`` / ``export`` against a real uvicorn server started on a free port."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.cli import main
from tests.conftest import Tenant
from tests.imports.conftest import EXAMPLES

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(database_url: str, engine: object) -> Iterator[str]:
    """uvicorn serving the app on the test database (migrated by ``engine``)."""
    port = free_port()
    env = {**os.environ, "VEERKRACHT_DATABASE_URL": database_url, "VEERKRACHT_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def env(server: str, live_tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    """URL and key from the environment, as an HR officer's script would set them."""
    monkeypatch.setenv("VEERKRACHT_URL", server)
    monkeypatch.setenv("VEERKRACHT_API_KEY", live_tenant.write_key)
    return live_tenant


def run(*argv: str) -> int:
    return main(list(argv))


def test_import_the_dutch_excel_export(env: Tenant, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("import", "function-groups", str(EXAMPLES / "function-groups.csv")) == 0
    assert run("import", "teams", str(EXAMPLES / "teams.csv")) == 0
    capsys.readouterr()
    assert run("import", "employees", str(EXAMPLES / "medewerkers-export-excel.csv")) == 0
    out = capsys.readouterr().out
    assert "written" in out and "windows-1252" in out
    header, values = [line.split() for line in out.splitlines() if line.strip()][2:4]
    assert dict(zip(header, values, strict=True)) == {
        "created": "8",
        "updated": "0",
        "unchanged": "0",
        "deactivated": "0",
        "failed": "0",
    }
    assert "Gül?en" in out  # the warning about the '?'


def test_rejected_import_exits_1_and_lists_row_errors(
    env: Tenant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "teams.csv"
    bad.write_text("Teamcode;Teamnaam\nT-1;=SUM(A1)\nT-2;\n", encoding="utf-8")
    assert run("import", "teams", str(bad)) == 1
    out = capsys.readouterr().out
    assert "rejected, nothing written" in out
    assert "Row errors (2)" in out and "formula" in out and "is required" in out
    # --partial writes what it can and still exits 1: some rows were not imported.
    assert run("import", "teams", str(bad), "--partial") == 1
    assert run("import", "teams", str(bad), "--partial", "--dry-run") == 1


def test_dry_run_writes_nothing(env: Tenant, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("import", "teams", str(EXAMPLES / "teams.csv"), "--dry-run") == 0
    assert "dry run" in capsys.readouterr().out
    assert run("export", "teams") == 0
    assert capsys.readouterr().out.strip() == "\ufeffexternal_id;name;manager_external_ids"


def test_export_writes_csv_that_imports_back_unchanged(
    env: Tenant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", "function-groups", str(EXAMPLES / "function-groups.csv")) == 0
    target = tmp_path / "fg.csv"
    assert run("export", "function-groups", "--output", str(target)) == 0
    assert target.read_text().count("\n") == 5
    capsys.readouterr()
    assert run("import", "function-groups", str(target), "--json") == 0
    assert '"unchanged": 4' in capsys.readouterr().out


def test_a_failed_export_leaves_the_file_that_was_there(env: Tenant, tmp_path: Path) -> None:
    # A wrong key or an unreachable server must not empty yesterday's export.
    target = tmp_path / "keep.csv"
    target.write_text("precious;data\n1;2\n")
    assert run("export", "employees", "--output", str(target), "--api-key", "vk_wrong") == 2
    unreachable = f"http://127.0.0.1:{free_port()}"
    assert run("export", "employees", "--output", str(target), "--url", unreachable) == 2
    assert target.read_text() == "precious;data\n1;2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]  # no part file left behind


def test_usage_and_connection_errors_exit_2(
    env: Tenant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    teams = str(EXAMPLES / "teams.csv")
    assert run("import", "teams", "/no/such/file.csv") == 2
    assert run("import", "teams", teams, "--api-key", "vk_wrong") == 2
    assert "401" in capsys.readouterr().err
    assert run("import", "teams", teams, "--url", f"http://127.0.0.1:{free_port()}") == 2
    assert "cannot reach" in capsys.readouterr().err
    monkeypatch.delenv("VEERKRACHT_API_KEY")
    assert run("import", "teams", teams) == 2
    with pytest.raises(SystemExit) as exc:
        run("import", "no-such-kind", teams)
    assert exc.value.code == 2


def test_the_installed_command(env: Tenant) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("veerkracht")),
            "import",
            "teams",
            str(EXAMPLES / "teams.csv"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout


def test_progress_bar_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from app.imports.cli import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    bar = Progress("uploading", 4 * 1_048_576, enabled=True)
    for _ in range(4):
        bar.advance(1_048_576)
    bar.finish("done")
    assert "[" + "#" * 30 + "] 100% 4.0/4.0 MB" in screen.getvalue()
    assert screen.getvalue().endswith("done\n")
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    quiet = Progress("uploading", 10, enabled=True)
    quiet.advance(10)
    quiet.finish("done")
    assert piped.getvalue() == ""


def test_an_import_the_server_refuses_with_409_exits_1_with_its_detail(
    env: Tenant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A refused import is a failed run (exit 1), not a usage error (2 is argparse's):
    # an e-mail address handed over across chunks of 1,000 rows meets the unique
    # constraint, a 409 already-exists for the whole file (docs/imports.md, Known limits).
    header = "Personeelsnummer;Voornaam;Achternaam;E-mail\n"
    people = [f"{n};V{n};A{n}" for n in range(1001)]
    seed = tmp_path / "seed.csv"
    seed.write_text(header + "".join(f"{p};p{n}@x.nl\n" for n, p in enumerate(people)))
    assert run("import", "employees", str(seed)) == 0
    # Row 2 takes the address of the last person, who gives it up only in the next chunk.
    rows = [f"{people[0]};p1000@x.nl", *(f"{p};p{n}@x.nl" for n, p in enumerate(people))][:-1]
    del rows[1]
    refused = tmp_path / "handover.csv"
    refused.write_text(header + "\n".join([*rows, f"{people[1000]};nieuw@x.nl"]) + "\n")
    capsys.readouterr()
    assert run("import", "employees", str(refused), "--no-progress") == 1
    err = capsys.readouterr().err
    assert "409" in err and "already" in err.lower()


def test_a_key_still_in_use_says_the_first_attempt_may_still_complete(
    env: Tenant, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 409 idempotency-key-in-use is no refusal: the first request with the key still runs
    # on the server (after the client's retries) and may commit. The server's answer is
    # stood in for, as the race that makes it cannot be timed from here.
    from app.imports import cli as import_cli

    def still_running(
        client: httpx.Client, url: str, data: bytes, headers: dict[str, str], show: bool
    ) -> httpx.Response:
        body = {"status": 409, "code": "idempotency-key-in-use", "detail": "Still running."}
        return httpx.Response(409, json=body, request=httpx.Request("POST", url))

    monkeypatch.setattr(import_cli, "_post_with_retries", still_running)
    file = tmp_path / "teams.csv"
    file.write_text("Teamcode;Teamnaam\nT-1;Wijkteam\n")
    assert run("import", "teams", str(file), "--idempotency-key", "sync-7") == 1
    err = capsys.readouterr().err
    assert "nothing written" not in err
    assert "may still complete" in err and "--idempotency-key sync-7" in err
