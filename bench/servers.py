"""Start and stop uvicorn processes for the benchmark (loopback only)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

# base URL -> pid of the uvicorn process (with one worker, the process that serves).
SERVER_PIDS: dict[str, int] = {}
# base URL -> the file that receives the server's stderr (its warnings and tracebacks).
SERVER_LOGS: dict[str, str] = {}


def log_tail(base: str, lines: int = 40) -> str:
    """The last lines the server at ``base`` wrote to stderr ('' when none)."""
    path = SERVER_LOGS.get(base)
    if not path or not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return "".join(f.readlines()[-lines:])


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB."""
    for line in open(f"/proc/{pid}/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def uvicorn_server(
    app: str, *, workers: int, env: dict[str, str], ready_path: str
) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields the base URL."""
    port = free_port()
    # The service and the ceiling are both served like `veerkracht serve` (bench/serve.py).
    cmd = [sys.executable, "-m", "bench.serve", app, str(port), str(workers)]
    # stderr goes to a file: a pipe nobody reads fills up (64 KB of tracebacks under load)
    # and then blocks the server's next write, which would look like a stall of the app.
    # Closed and removed in the finally below.
    log = tempfile.NamedTemporaryFile(
        "wb", prefix="veerkracht-bench-server-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    SERVER_LOGS[base] = log.name
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{app} exited: {log_tail(base, 60)}")
            try:
                if httpx.get(base + ready_path, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.2)
        # Warm every worker (imports, connection pools) before measuring.
        for _ in range(20 * workers):
            httpx.get(base + ready_path, timeout=5)
        SERVER_PIDS[base] = proc.pid
        yield base
    finally:
        SERVER_PIDS.pop(base, None)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass  # it exited by itself (the error above says why)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        SERVER_LOGS.pop(base, None)
        os.unlink(log.name)
