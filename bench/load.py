"""Drive a URL with wrk (a separate, efficient load generator) and parse its figures."""

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int
    # wrk's latency.max; socket errors (connect + read + write) and timeouts (--timeout).
    max_ms: float = 0.0
    socket_errors: int = 0
    timeouts: int = 0
    # Answers by HTTP status, counted by a Lua response() (only with ``count_statuses``).
    statuses: dict[int, int] = field(default_factory=dict)


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
{extra}
done = function(summary, latency, requests)
  io.write(string.format("VKSTAT %d %d %d %d %f %f %f\\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
  for _, t in ipairs(vk_threads) do
    local counts = t:get("vk_statuses")
    if counts then
      for status, n in pairs(counts) do
        io.write(string.format("VKSTATUS %d %d\\n", status, n))
      end
    end
  end
end
"""

# Every thread's Lua state, so done() can read what response() counted in each.
_THREADS = """
vk_threads = {}
setup = function(thread)
  table.insert(vk_threads, thread)
end
"""

# Each connection's next request is the next path of the list (one rotation per thread).
_ROTATE = """
vk_paths = {{{paths}}}
vk_next = 0
request = function()
  vk_next = vk_next % #vk_paths + 1
  return wrk.format(nil, vk_paths[vk_next])
end
"""

# Count answers by status (wrk's own errors.status only counts status > 399).
_COUNT = """
vk_statuses = {}
response = function(status, headers, body)
  vk_statuses[status] = (vk_statuses[status] or 0) + 1
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    url: str,
    *,
    key: str,
    duration: int,
    connections: int,
    threads: int = 1,
    method: str = "GET",
    json_body: str | None = None,
    paths: Sequence[str] | None = None,
    count_statuses: bool = False,
) -> LoadResult:
    """One wrk run; requests per second and p50/p99/max latency from wrk's own histogram.

    ``paths`` (each starting with ``/``) makes every connection rotate over them instead of
    requesting ``url`` itself (``url`` then only names the server). ``count_statuses``
    counts every answer by status in Lua; it costs wrk some time, so only for soaks.
    """
    body = ""
    if json_body is not None:
        body = f"wrk.body = {_lua_string(json_body)}\n"
        body += 'wrk.headers["Content-Type"] = "application/json"'
    extra = _THREADS
    if paths:
        extra += _ROTATE.format(paths=", ".join(_lua_string(p) for p in paths))
    if count_statuses:
        extra += _COUNT
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA.format(method=method, key=key, body=body, extra=extra))
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
    stat = re.search(r"VKSTAT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    assert stat, out
    requests, non2xx = int(stat.group(1)), int(stat.group(2))
    statuses: dict[int, int] = {}
    for status, n in re.findall(r"VKSTATUS (\d+) (\d+)", out):
        statuses[int(status)] = statuses.get(int(status), 0) + int(n)
    if count_statuses:
        # Exact: every answer outside 200-299 (wrk's own count misses 1xx and 3xx).
        non2xx = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    return LoadResult(
        rps=rps,
        p50_ms=float(stat.group(5)) / 1000,
        p99_ms=float(stat.group(6)) / 1000,
        non_2xx=non2xx,
        requests=requests,
        max_ms=float(stat.group(7)) / 1000,
        socket_errors=int(stat.group(3)),
        timeouts=int(stat.group(4)),
        statuses=statuses,
    )
