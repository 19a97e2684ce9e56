"""``./dev up --port P``: the README's first command prints calls for the port it serves."""

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.server import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_dev_up_prints_calls_for_the_port_it_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "VEERKRACHT_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "VEERKRACHT_LOG_LEVEL": "WARNING",
    }
    env.pop("VEERKRACHT_TEST_DATABASE_URL", None)
    proc = subprocess.Popen(
        ["bash", str(ROOT / "dev"), "up", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    printed: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        # The demo prints all its calls and exits before serve starts, so once the server is
        # ready every call has been printed (the bound only matters if ./dev up hangs).
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            deadline = time.monotonic() + 300
            while not _ready(http):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("./dev up did not serve: " + _drain(lines, printed))
                time.sleep(0.2)
            text = _drain(lines, printed)
            # Every call printed, the domains' notes included, names the port it serves.
            urls = set(re.findall(r"http://[\w.]+:(\d+)", text))
            assert urls == {str(port)}, text[-2000:]
            assert "/briefing" in text and "/readiness" in text, text[-2000:]
            key = re.search(r"vk_[A-Za-z0-9]{12}_[A-Za-z0-9_\-]+", text)
            assert key, text[-2000:]
            r = http.get("/v1/organisation", headers={"Authorization": f"Bearer {key.group(0)}"})
            assert r.status_code == 200, r.text
            # The printed dev-token command works from a fresh shell (no database set).
            command = re.search(r"(\S*VEERKRACHT_DATABASE_URL=.*--role team_manager)", text)
            assert command, text[-2000:]
            fresh = {k: v for k, v in env.items() if k != "VEERKRACHT_DATABASE_URL"}
            token = subprocess.run(
                ["bash", "-c", command.group(1)],
                cwd=ROOT,
                env=fresh,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            me = http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["roles"] == ["team_manager"], me.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _ready(http: httpx.Client) -> bool:
    try:
        return http.get("/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def _drain(lines: "queue.Queue[str]", printed: list[str]) -> str:
    while True:
        try:
            printed.append(lines.get_nowait())
        except queue.Empty:
            return "".join(printed)
