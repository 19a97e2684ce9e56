"""Run ``veerkracht serve`` as a real process on a free loopback port (crash and load tests)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "veerkracht"
_KEY = re.compile(r"(vk_[A-Za-z0-9]{12}_[A-Za-z0-9_\-]+)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "VEERKRACHT_DATABASE_URL": database_url, "VEERKRACHT_LOG_LEVEL": "WARNING"}
    env.pop("VEERKRACHT_TEST_DATABASE_URL", None)
    # The suite switches the principal cache off for in-process tests; a server runs as
    # deployed unless a test says otherwise.
    env.pop("VEERKRACHT_AUTH_CACHE_SECONDS", None)
    return {**env, **(extra or {})}


def create_organisation(database_url: str, name: str) -> str:
    """A new organisation through the CLI; its admin key."""
    out = subprocess.run(
        [str(BIN), "create-organisation", name],
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    match = _KEY.search(out)
    assert match, out
    return match.group(1)


@dataclass
class Server:
    """A running ``veerkracht serve`` process (its own process group: workers included)."""

    database_url: str
    log: Path
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Server":
        """Start and wait until /readyz answers 200."""
        self.port = free_port()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(BIN),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=_env(self.database_url, self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not become ready: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        """Ask the server to stop (SIGTERM), SIGKILL if it does not."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def errors_logged(self) -> list[str]:
        """Lines of the server's log that report an error (JSON logs, or a traceback)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [
            line
            for line in text.splitlines()
            if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line or "Traceback" in line
        ]
