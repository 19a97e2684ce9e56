"""/docs and /redoc work on a closed network: the app ships the assets (core/docs.py).

The browser check renders both pages in headless Chromium, with every host but loopback
made unresolvable, and reads Chromium's network log: every request the page made went to
the app and succeeded, and the rendered page shows every operation of the document.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.reliability.server import Server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_the_doc_pages_load_only_what_the_app_serves(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        answer = client.get(page)
        assert answer.status_code == 200
        html = answer.text
        assert "cdn." not in html and "https://" not in html, html
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "img-src 'self' data:" in csp
    for asset, kind in [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "javascript"),
    ]:
        answer = client.get(f"/docs/assets/{asset}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"]
    # The API itself keeps the strict policy: nothing may run in its answers.
    assert (
        client.get("/healthz").headers["content-security-policy"].startswith("default-src 'none'")
    )


def _operations(document: dict[str, Any]) -> set[str]:
    return {
        op["operationId"]
        for item in document["paths"].values()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


def _page_requests(net_log: Path, origin: str) -> tuple[set[str], list[str]]:
    """The URLs the page asked for (not the browser's own update checks) and the failures.

    Chromium keys each request made on behalf of a page by the page's site; its own
    background requests carry another key.
    """
    log = json.loads(net_log.read_text())
    types = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    site = origin.rsplit(":", 1)[0]  # http://127.0.0.1
    page_sources: dict[int, str] = {}
    for event in log["events"]:
        params = event.get("params", {})
        if types.get(event["type"]) == "URL_REQUEST_START_JOB" and params.get(
            "network_isolation_key", ""
        ).startswith(site):
            page_sources[event["source"]["id"]] = params["url"]
    failed = [
        page_sources[event["source"]["id"]]
        for event in log["events"]
        if event["source"]["id"] in page_sources and event.get("params", {}).get("net_error")
    ]
    return set(page_sources.values()), failed


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Chromium is not installed (CI installs it: .ci/run)",
)
@pytest.mark.parametrize(
    ("page", "marker"),
    [("/docs", 'class="opblock opblock-'), ("/redoc", 'data-section-id="operation/')],
)
def test_the_doc_pages_render_every_operation_offline(
    page: str, marker: str, database_url: str, engine: object, tmp_path: Path
) -> None:
    assert CHROMIUM, "Chromium must be installed in CI"
    server = Server(database_url, tmp_path / "server.log").start()
    try:
        document = json.loads(
            subprocess.run(
                ["curl", "-sf", f"{server.url}/openapi.json"], capture_output=True, check=True
            ).stdout
        )
        net_log, screenshot = tmp_path / "net.json", tmp_path / f"{page[1:]}.png"
        browser = [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-extensions",
            # Autofill asks Google about each page it sees, keyed by the page's site.
            "--disable-features=AutofillServerCommunication",
            # The closed network: every name but loopback fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            # Virtual time runs the page until it is idle, however slow the machine is.
            "--virtual-time-budget=30000",
            "--window-size=1280,2400",
            f"--log-net-log={net_log}",
        ]
        dom = subprocess.run(
            [*browser, "--dump-dom", f"{server.url}{page}"],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        ).stdout
        requested, failed = _page_requests(net_log, server.url)
        assert failed == []
        assert requested and all(url.startswith(server.url) for url in requested), requested
        assert f"{server.url}/openapi.json" in requested
        # One rendered block per operation of the document.
        assert dom.count(marker) == len(_operations(document))
        subprocess.run(
            [*browser, f"--screenshot={screenshot}", f"{server.url}{page}"],
            capture_output=True,
            timeout=180,
            check=True,
        )
        print(f"screenshot of {page}: {screenshot}")  # noqa: T201  (the issue asks for it in the output)
        assert screenshot.stat().st_size > 10_000
    finally:
        server.stop()
