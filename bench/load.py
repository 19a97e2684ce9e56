"""Drive a URL with wrk (a separate, efficient load generator) and parse its figures."""

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int


def ensure_wrk() -> str:
    """The wrk binary, installed from the Debian packages when missing (root only)."""
    path = shutil.which("wrk")
    if path:
        return path
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return path


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


LUA = """
wrk.method = "{method}"
wrk.headers["Authorization"] = "Bearer {key}"
{body}
done = function(summary, latency, requests)
  io.write(string.format("VKSTAT %d %d %d %d %f %f\\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(
    url: str,
    *,
    key: str,
    duration: int,
    connections: int,
    threads: int = 1,
    method: str = "GET",
    json_body: str | None = None,
) -> LoadResult:
    """One wrk run; requests per second and p50/p99 latency from wrk's own histogram."""
    body = ""
    if json_body is not None:
        escaped = json_body.replace("\\", "\\\\").replace('"', '\\"')
        body = f'wrk.body = "{escaped}"\nwrk.headers["Content-Type"] = "application/json"'
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA.format(method=method, key=key, body=body))
        script = f.name
    try:
        out = subprocess.run(
            [
                ensure_wrk(),
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--timeout",
                "30s",
                "-s",
                script,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        Path(script).unlink(missing_ok=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    stat = re.search(r"VKSTAT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    assert stat, out
    requests, non2xx = int(stat.group(1)), int(stat.group(2))
    return LoadResult(
        rps=rps,
        p50_ms=float(stat.group(5)) / 1000,
        p99_ms=float(stat.group(6)) / 1000,
        non_2xx=non2xx,
        requests=requests,
    )
