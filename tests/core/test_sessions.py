"""Read and write sessions declared by type (core/sessions.py)."""

from fastapi import FastAPI
from sqlalchemy import Engine

from app.core.db import READ_ONLY
from app.core.sessions import AdminOnly, ReadSession, WriteSession, reader, writer
from app.organisation.models import Team
from tests.conftest import Tenant
from tests.core.conftest import AppFactory
from tests.helpers import assert_problem


def test_kinds_need_their_scope_and_say_whether_they_write(
    make_client: AppFactory, tenant: Tenant, engine: Engine
) -> None:
    from typing import Annotated

    from fastapi import Depends

    TeamRead = Annotated[Team, Depends(reader(Team, "team_id"))]
    TeamWrite = Annotated[Team, Depends(writer(Team, "team_id"))]

    def setup(app: FastAPI) -> None:
        @app.get("/v1/probe/{team_id}")
        def probe_read(team: TeamRead, db: ReadSession) -> dict[str, object]:
            return {"read_only": db.info[READ_ONLY], "name": team.name}

        @app.post("/v1/probe/{team_id}")
        def probe_write(team: TeamWrite, db: WriteSession) -> dict[str, object]:
            return {"read_only": db.info[READ_ONLY], "name": team.name}

        @app.post("/v1/probe-admin", dependencies=[AdminOnly])
        def probe_admin(db: WriteSession) -> dict[str, object]:
            return {"read_only": db.info[READ_ONLY]}

        @app.get("/v1/probe-both/{team_id}")
        def probe_both(team: TeamWrite, db: ReadSession) -> dict[str, object]:
            return {}

    client = make_client(setup=setup)
    team = client.post("/v1/teams", headers=tenant.write, json={"name": "Ambulant"}).json()
    url = f"/v1/probe/{team['id']}"
    assert client.get(url, headers=tenant.read).json() == {"read_only": True, "name": "Ambulant"}
    assert client.post(url, headers=tenant.write).json() == {"read_only": False, "name": "Ambulant"}
    assert_problem(client.post(url, headers=tenant.read), 403, "insufficient-scope")
    assert_problem(
        client.get("/v1/probe/01a24000-0000-7000-8000-000000000000", headers=tenant.read), 404
    )
    assert_problem(client.post("/v1/probe-admin", headers=tenant.write), 403, "insufficient-scope")
    assert client.post("/v1/probe-admin", headers=tenant.admin).json() == {"read_only": False}
    # Two kinds in one request would be two transactions: refused, never half-served.
    both = client.get(f"/v1/probe-both/{team['id']}", headers=tenant.admin)
    assert both.status_code == 500
