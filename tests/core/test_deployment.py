"""The container files: Docker cannot run here, so check what can be checked by reading."""

import json
import re
from pathlib import Path
from typing import Any

import yaml

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_runs_migrations_before_the_app_on_postgresql_15() -> None:
    services = _compose()["services"]
    assert {"db", "migrate", "app"} <= services.keys()
    assert services["db"]["image"].startswith("postgres:15")
    assert services["db"]["healthcheck"]["test"]

    migrate, app = services["migrate"], services["app"]
    assert migrate["command"] == ["veerkracht", "migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["command"][:4] == ["veerkracht", "serve", "--host", "0.0.0.0"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert any(p.endswith(":8000") for p in app["ports"])

    for service in (migrate, app):
        assert service["build"] == "."
        env = service["environment"]
        url = env["VEERKRACHT_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@db:5432/" in url
        # Every variable the compose file sets is one the settings know.
        known = {f"VEERKRACHT_{name.upper()}" for name in Settings.model_fields}
        assert set(env) <= known, set(env) - known
    db_env = services["db"]["environment"]
    assert (
        f"{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}@db:5432/{db_env['POSTGRES_DB']}"
        in (app["environment"]["VEERKRACHT_DATABASE_URL"])
    )


def test_dockerfile_pins_installs_and_drops_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert (
        lines[next(i for i, x in enumerate(lines) if x.startswith("FROM"))]
        == "FROM python:3.11-slim"
    )
    assert re.search(r"pip install --constraint constraints\.txt", text)
    user = [x for x in lines if x.startswith("USER ")]
    assert user and user[-1] != "USER root"
    assert 'CMD ["veerkracht", "serve", "--host", "0.0.0.0"' in text
    # Everything the image copies exists and is not excluded by .dockerignore.
    ignored = {
        x.strip()
        for x in (ROOT / ".dockerignore").read_text().splitlines()
        if x.strip() and not x.startswith("#")
    }
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
                assert source not in ignored, source


def test_readme_documents_every_setting_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name, field in Settings.model_fields.items():
        row = next(
            (line for line in section.splitlines() if f"`VEERKRACHT_{name.upper()}`" in line), None
        )
        assert row is not None, f"VEERKRACHT_{name.upper()} is not in the README"
        default = field.get_default(call_default_factory=True)
        shown = json.dumps(default) if isinstance(default, bool | list) else str(default)
        assert f"`{shown}`" in row, (name, shown, row)


def test_compose_runs_a_worker_after_the_migrations() -> None:
    # Webhooks are delivered and the change feed purged by `veerkracht worker` (issue 17).
    services = _compose()["services"]
    worker, app = services["worker"], services["app"]
    assert worker["command"] == ["veerkracht", "worker"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["environment"] == app["environment"] and worker["build"] == "."
