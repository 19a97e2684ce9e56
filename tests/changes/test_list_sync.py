"""Every list carries a sync token that never misses a committed row (issue 17 item 3).

``updated_since`` compares the time a row was written; a row of a transaction still
running when a client polled carries a time before that poll and is missed by the next
one. A list's ``sync_token`` is the change feed's position when its scan began; passed
back, the list holds exactly the rows with a change event after it (core/pagination.py).
"""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.changes.service import Position
from app.core import engine as core_engine
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.organisation.models import Employee
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.helpers import assert_problem, built_app


def _ids(page: dict) -> list[str]:  # type: ignore[type-arg]
    return [item["id"] for item in page["items"]]


def test_a_scan_has_one_sync_token_that_lists_exactly_the_rows_changed_since(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    people = [make_employee(db) for _ in range(5)]
    db.commit()
    first = client.get("/v1/employees", headers=tenant.read, params={"limit": 2}).json()
    token = first["sync_token"]
    assert token and first["next_cursor"]
    # A change to a row the scan has already passed, made while the scan goes on ...
    r = client.patch(
        f"/v1/employees/{people[0].id}", headers=tenant.write, json={"last_name": "Tussendoor"}
    )
    assert r.status_code == 200, r.text
    # ... does not move the scan's token: every page of it answers the first page's one,
    # which is from before that change.
    cursor, tokens = first["next_cursor"], []
    while cursor:
        page = client.get(
            "/v1/employees", headers=tenant.read, params={"limit": 2, "cursor": cursor}
        ).json()
        tokens.append(page["sync_token"])
        cursor = page["next_cursor"]
    assert tokens == [token, token]
    r = client.patch(
        f"/v1/employees/{people[3].id}", headers=tenant.write, json={"first_name": "Later"}
    )
    assert r.status_code == 200, r.text
    created = client.post(
        "/v1/employees", headers=tenant.write, json={"first_name": "Nieuw", "last_name": "Lid"}
    )
    assert created.status_code == 201, created.text

    since = client.get("/v1/employees", headers=tenant.read, params={"sync_token": token})
    assert since.status_code == 200, since.text
    assert _ids(since.json()) == [str(people[0].id), str(people[3].id), created.json()["id"]]
    # Other lists hold only their own rows changed since: no team changed.
    teams = client.get("/v1/teams", headers=tenant.read, params={"sync_token": token}).json()
    assert teams["items"] == [] and teams["sync_token"]


def test_a_row_of_a_transaction_running_during_the_scan_comes_with_the_token(
    engine: Engine, live_client: TestClient, live_tenant: Tenant
) -> None:
    before = live_client.post(
        "/v1/employees", headers=live_tenant.write, json={"first_name": "Al", "last_name": "Er"}
    )
    assert before.status_code == 201, before.text
    writer = core_engine.new_session(engine)
    bind_organisation(writer, live_tenant.id)
    try:
        late = [Employee(first_name="Laat", last_name=f"Nummer {i}") for i in range(3)]
        writer.add_all(late)
        writer.flush()  # written, stamped with this time, not committed
        polled_at = utcnow()
        page = live_client.get("/v1/employees", headers=live_tenant.read).json()
        assert _ids(page) == [before.json()["id"]]
        writer.commit()
    finally:
        writer.close()
    wanted = sorted(str(e.id) for e in late)
    # The time-based poll from the moment of the scan misses them for ever ...
    missed = live_client.get(
        "/v1/employees",
        headers=live_tenant.read,
        params={"updated_since": polled_at.isoformat()},
    ).json()
    assert str(late[0].id) not in _ids(missed)
    # ... the scan's sync token does not.
    got = live_client.get(
        "/v1/employees", headers=live_tenant.read, params={"sync_token": page["sync_token"]}
    ).json()
    assert sorted(_ids(got)) == wanted


def test_lists_the_feed_does_not_cover_have_no_token_and_refuse_one(
    client: TestClient, tenant: Tenant
) -> None:
    audit = client.get("/v1/audit-events", headers=tenant.admin)
    assert audit.status_code == 200, audit.text
    assert audit.json()["sync_token"] is None
    token = client.get("/v1/teams", headers=tenant.read).json()["sync_token"]
    body = assert_problem(
        client.get("/v1/audit-events", headers=tenant.admin, params={"sync_token": token}), 422
    )
    assert body["errors"][0]["pointer"] == "/query/sync_token"


def test_a_malformed_or_expired_token_is_refused(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    body = assert_problem(
        client.get("/v1/teams", headers=tenant.read, params={"sync_token": "x!"}),
        422,
        "invalid-cursor",
    )
    assert body["errors"][0]["pointer"] == "/query/sync_token"
    old = Position(0, 0, utcnow() - timedelta(days=31)).encode()
    assert_problem(
        client.get("/v1/teams", headers=tenant.read, params={"sync_token": old}),
        410,
        "cursor-expired",
    )
    # A cursor whose scan position was tampered with still pages: the position that
    # does not read as one is replaced by the feed's position now.
    make_team(db)
    make_team(db)
    db.commit()
    first = client.get("/v1/teams", headers=tenant.read, params={"limit": 1}).json()
    key = first["next_cursor"].partition(".")[0]
    page = client.get("/v1/teams", headers=tenant.read, params={"limit": 1, "cursor": key + ".x"})
    assert page.status_code == 200, page.text
    assert page.json()["sync_token"] != "x"


def test_every_list_that_takes_a_sync_token_declares_its_expiry() -> None:
    # The 410 above reaches a client generated from the contract only if the list says so.
    document = built_app().openapi()
    lists = [
        (path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method == "get"
        and any(p["name"] == "sync_token" for p in operation.get("parameters", []))
    ]
    assert len(lists) > 20
    undeclared = [path for path, op in lists if "410" not in op["responses"]]
    assert not undeclared, undeclared
    gone = lists[0][1]["responses"]["410"]["content"]["application/problem+json"]["schema"]
    assert gone == {"$ref": "#/components/schemas/Problem"}


def test_another_organisations_writes_do_not_move_a_lists_token(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # The position is read as plain SQL (changes/service.py), outside the ORM's tenant
    # criteria: its own organisation filter is all that keeps B's activity out of A's token.
    def position() -> tuple[int, int]:
        token = client.get("/v1/employees", headers=tenant.read).json()["sync_token"]
        found = Position.decode(token)
        return found.txid, found.seq

    before = position()
    r = client.post(
        "/v1/employees", headers=other_tenant.write, json={"first_name": "B", "last_name": "Org"}
    )
    assert r.status_code == 201, r.text
    assert position() == before
    r = client.post(
        "/v1/employees", headers=tenant.write, json={"first_name": "A", "last_name": "Org"}
    )
    assert r.status_code == 201, r.text
    assert position() > before
