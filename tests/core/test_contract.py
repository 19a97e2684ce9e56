"""What schemathesis found the contract and the app disagree on (issue 19, item 7).

Each test fails without its fix: the whole run is .ci/schemathesis (every check, every
phase, against a live server); these pin each finding in the ordinary suite.
"""

import re
import uuid
from collections.abc import Iterator

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.core.pagination import CURSOR_PATTERN, encode_cursor
from tests.conftest import Tenant
from tests.helpers import assert_problem, built_app

DOCUMENT = built_app().openapi()


def _schema(name: str) -> dict:  # type: ignore[type-arg]
    return DOCUMENT["components"]["schemas"][name]  # type: ignore[no-any-return]


def test_405_allow_lists_every_method_of_the_resource(client: TestClient, tenant: Tenant) -> None:
    # GET and POST /v1/api-keys are two routes: Allow named only the first.
    r = client.request("OPTIONS", "/v1/api-keys", headers=tenant.admin)
    assert_problem(r, 405, "method-not-allowed")
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD", "POST"}
    r = client.request("PUT", f"/v1/teams/{uuid.uuid4()}", headers=tenant.admin)
    assert_problem(r, 405, "method-not-allowed")
    # HEAD is answered wherever GET is (tests/reliability/test_head.py), so it is allowed.
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert allowed == {"GET", "HEAD", "PATCH", "DELETE"}
    assert client.head(f"/v1/teams/{uuid.uuid4()}", headers=tenant.admin).status_code == 404


def test_a_literal_path_answers_405_not_an_invalid_id(client: TestClient, tenant: Tenant) -> None:
    # /v1/personal-goals/check (POST) beside /v1/personal-goals/{id} (GET, PATCH, DELETE):
    # PATCH .../check was refused as an invalid id (422).
    r = client.patch("/v1/personal-goals/check", headers=tenant.admin, json={})
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "POST"
    # A malformed id on a path no literal route owns stays a validation error.
    assert_problem(client.get("/v1/teams/not-a-uuid", headers=tenant.admin), 422)


def test_query_dates_and_times_are_iso_8601_not_numbers(client: TestClient, tenant: Tenant) -> None:
    for url, pointer in (
        ("/v1/reports/refreshers-due?on=0", "/query/on"),
        ("/v1/teams?updated_since=0.5", "/query/updated_since"),
        # a list whose filters are a model (core/listing.py)
        ("/v1/team-meetings?held_to=0", "/query/held_to"),
    ):
        body = assert_problem(client.get(url, headers=tenant.admin), 422, "validation-error")
        assert [e["pointer"] for e in body["errors"]] == [pointer]
    assert client.get("/v1/reports/refreshers-due?on=2026-03-01", headers=tenant.admin).is_success
    ok = client.get("/v1/teams?updated_since=2026-03-01T09:00:00Z", headers=tenant.admin)
    assert ok.status_code == 200


def test_query_booleans_are_true_or_false(client: TestClient, tenant: Tenant) -> None:
    # As in bodies: `yes`, `on` or `1` is not a boolean; read as one it filtered silently.
    for url, pointer in (
        ("/v1/employees?active=yes", "/query/active"),
        ("/v1/employees?active=1", "/query/active"),
        ("/v1/follow-up-items?overdue=on", "/query/overdue"),
        ("/v1/imports/employees?dry_run=True", "/query/dry_run"),
    ):
        send = client.post if "imports" in url else client.get
        body = assert_problem(send(url, headers=tenant.admin), 422, "validation-error")
        assert [e["pointer"] for e in body["errors"]] == [pointer], url
    assert client.get("/v1/employees?active=false", headers=tenant.admin).status_code == 200


def test_cursor_parameters_declare_the_format_the_api_takes() -> None:
    import re

    params = DOCUMENT["paths"]["/v1/teams"]["get"]["parameters"]
    (cursor,) = [p for p in params if p["name"] == "cursor"]
    pattern = next(s for s in cursor["schema"]["anyOf"] if s.get("type") == "string")["pattern"]
    assert pattern == CURSOR_PATTERN
    # Every string of that shape is a cursor the API takes; the ones it issues have it.
    assert re.fullmatch(CURSOR_PATTERN, encode_cursor(uuid.uuid4()))


def test_any_cursor_of_the_declared_shape_is_taken(client: TestClient, tenant: Tenant) -> None:
    r = client.get("/v1/teams?cursor=zzzzzzzzzzzzzzzzzzzzzz", headers=tenant.admin)
    assert r.status_code == 200
    assert_problem(client.get("/v1/teams?cursor=%C2%BB", headers=tenant.admin), 422)


def test_one_of_rules_are_in_the_json_schema() -> None:
    owners = {"owner_employee_id", "owner_team_id"}
    (rule,) = _schema("SessionFollowUpItemCreate")["allOf"]
    assert {tuple(branch["required"]) for branch in rule["oneOf"]} == {(f,) for f in owners}
    (scope_rule,) = _schema("PlanScope")["allOf"]
    both = scope_rule["not"]
    assert set(both["required"]) == {"team_id", "function_group_id"}
    assert len(_schema("FollowUpItemCreate")["allOf"]) == 2
    assert "anyOf" in _schema("FollowUpItemUpdate")["allOf"][0]


def test_idempotency_key_declares_what_the_api_takes() -> None:
    params = DOCUMENT["paths"]["/v1/teams"]["post"]["parameters"]
    (key,) = [p for p in params if p["name"] == "Idempotency-Key"]
    assert key["schema"]["pattern"] == "^[!-~]+$"


def test_a_malformed_webhook_url_is_refused_not_a_500(client: TestClient, tenant: Tenant) -> None:
    r = client.post("/v1/webhook-subscriptions", headers=tenant.admin, json={"url": "https://["})
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["pointer"] == "/url"


def test_a_bracketed_host_that_is_no_address_is_refused() -> None:
    import pytest

    from app.core.targets import TargetRefused, check_target

    with pytest.raises(TargetRefused):
        check_target("https://[:::zz]/hook", resolve=False)


def test_a_revoked_api_key_is_404_and_stays_in_the_list(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "tijdelijk"})
    assert created.status_code == 201
    key_id = created.json()["id"]
    assert client.get(f"/v1/api-keys/{key_id}", headers=tenant.admin).status_code == 200
    assert client.delete(f"/v1/api-keys/{key_id}", headers=tenant.admin).status_code == 204
    assert_problem(client.get(f"/v1/api-keys/{key_id}", headers=tenant.admin), 404, "not-found")
    listed = client.get("/v1/api-keys?limit=200", headers=tenant.admin).json()["items"]
    (revoked,) = [k for k in listed if k["id"] == key_id]
    assert revoked["revoked_at"] is not None


def test_revoking_an_api_key_honours_if_match(client: TestClient, tenant: Tenant) -> None:
    # API.md: DELETE honours If-Match, as on every resource that hands out an ETag.
    created = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "koppeling"})
    key_id, etag = created.json()["id"], created.headers["ETag"]
    stale = {**tenant.admin, "If-Match": '"00000000000000000000dead"'}
    assert_problem(client.delete(f"/v1/api-keys/{key_id}", headers=stale), 412)
    assert client.get(f"/v1/api-keys/{key_id}", headers=tenant.admin).status_code == 200
    current = {**tenant.admin, "If-Match": etag}
    assert client.delete(f"/v1/api-keys/{key_id}", headers=current).status_code == 204
    # Revoked since: that tag is stale now; without If-Match a second revoke is harmless.
    assert_problem(client.delete(f"/v1/api-keys/{key_id}", headers=current), 412)
    assert client.delete(f"/v1/api-keys/{key_id}", headers=tenant.admin).status_code == 204


def test_every_success_with_a_body_declares_it() -> None:
    # A generated client drops what the document does not declare: a PUT by external id
    # answered its 201 with the created resource, declared without content.
    methods = {"get", "post", "put", "patch", "delete"}
    bare = [
        f"{m.upper()} {p} {code}"
        for p, ops in DOCUMENT["paths"].items()
        for m, op in ops.items()
        if m in methods
        for code, response in op["responses"].items()
        if code.startswith("2") and code != "204" and "content" not in response
    ]
    assert bare == []


def test_every_api_operation_declares_503_with_retry_after() -> None:
    # Any request may meet a busy or unreachable database: 503 and Retry-After, which a
    # client generated from the document should know to retry.
    missing = [
        f"{m.upper()} {p}"
        for p, ops in DOCUMENT["paths"].items()
        if p.startswith(("/v1/", "/scim/v2/"))
        for m, op in ops.items()
        if m in {"get", "post", "put", "patch", "delete"}
        and "Retry-After" not in op["responses"].get("503", {}).get("headers", {})
    ]
    assert missing == []


def test_every_operation_declares_400() -> None:
    # A malformed body or header line is 400 (bad-request): declared on every operation.
    methods = {"get", "post", "put", "patch", "delete"}
    missing = [
        f"{m.upper()} {p}"
        for p, ops in DOCUMENT["paths"].items()
        for m, op in ops.items()
        if m in methods and "400" not in op["responses"]
    ]
    assert missing == []


def test_booleans_in_bodies_are_json_booleans(client: TestClient, tenant: Tenant) -> None:
    # Lax mode read 0 as false: `"sensitive": 0` created a key.
    r = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "k", "sensitive": 0})
    body = assert_problem(r, 422, "validation-error")
    assert [e["pointer"] for e in body["errors"]] == ["/sensitive"]
    ok = client.post("/v1/api-keys", headers=tenant.admin, json={"name": "k", "sensitive": False})
    assert ok.status_code == 201


def test_booleans_in_patches_are_json_booleans(client: TestClient, tenant: Tenant) -> None:
    team = client.post("/v1/teams", headers=tenant.admin, json={"name": "Team Bool"}).json()
    created = client.post(
        "/v1/employees",
        headers=tenant.admin,
        json={"first_name": "An", "last_name": "Smit", "role": "employee", "team_id": team["id"]},
    ).json()
    r = client.patch(f"/v1/employees/{created['id']}", headers=tenant.admin, json={"active": 0})
    body = assert_problem(r, 422, "validation-error")
    assert [e["pointer"] for e in body["errors"]] == ["/active"]


def test_dates_in_bodies_are_not_numbers(client: TestClient, tenant: Tenant) -> None:
    r = client.post(
        "/v1/employees",
        headers=tenant.admin,
        json={"first_name": "An", "last_name": "Smit", "role": "employee", "started_on": 0},
    )
    body = assert_problem(r, 422, "validation-error")
    assert [e["pointer"] for e in body["errors"]] == ["/started_on"]


def test_an_address_on_a_special_use_domain_is_an_address(
    client: TestClient, tenant: Tenant
) -> None:
    # `format: email` takes a@b.test; email-validator refused it as special-use.
    r = client.post(
        "/v1/employees",
        headers=tenant.admin,
        json={"first_name": "An", "last_name": "Smit", "role": "employee", "email": "an@b.test"},
    )
    assert r.status_code == 201, r.text


def test_the_agenda_title_rule_is_in_the_schema() -> None:
    (rule,) = _schema("AgendaItem")["allOf"]
    given, otherwise = rule["anyOf"]
    assert given["required"] == ["title"]
    assert otherwise["properties"]["kind"]["const"] == "safe_resilient_work"


def test_numbers_in_bodies_are_not_booleans(client: TestClient, tenant: Tenant) -> None:
    r = client.patch(
        "/v1/organisation",
        headers=tenant.admin,
        json={"settings": {"aftercare_first_care_days": False}},
    )
    body = assert_problem(r, 422, "validation-error")
    assert [e["pointer"] for e in body["errors"]] == ["/settings/aftercare_first_care_days"]


def test_a_patch_naming_no_owner_is_refused_with_the_body(
    client: TestClient, tenant: Tenant
) -> None:
    # {"owner_team_id": null} breaks the schema's rule; it was answered 412 (If-Match)
    # or one-owner only after reading the item. Now it is the body's 422, item or not.
    team = client.post("/v1/teams", headers=tenant.admin, json={"name": "Team Eigenaar"}).json()
    item = client.post(
        "/v1/follow-up-items",
        headers=tenant.admin,
        json={"kind": "action_point", "description": "Nabespreken", "owner_team_id": team["id"]},
    )
    assert item.status_code == 201, item.text
    r = client.patch(
        f"/v1/follow-up-items/{item.json()['id']}",
        headers={**tenant.admin, "If-Match": '"een-oude-versie"'},
        json={"owner_team_id": None},
    )
    body = assert_problem(r, 422, "validation-error")
    assert "exactly one" in body["errors"][0]["detail"]


def test_pending_aftercare_without_a_day_is_in_the_schema() -> None:
    (rule,) = _schema("AftercareUpdate")["allOf"]
    assert rule["not"]["properties"]["status"]["const"] == "pending"
    assert set(rule["not"]["required"]) == {"recorded_on", "status"}


def test_a_title_longer_than_declared_is_refused_even_with_spaces(
    client: TestClient, tenant: Tenant
) -> None:
    # Stripped before the bound was checked, 200 characters and a tab were taken although
    # the schema says maxLength 200; stripping still applies, after the bound.
    r = client.post(
        "/v1/norms", headers=tenant.admin, json={"title": "\t" + "x" * 200, "level": "orange"}
    )
    body = assert_problem(r, 422, "validation-error")
    assert [e["pointer"] for e in body["errors"]] == ["/title"]
    r = client.post("/v1/norms", headers=tenant.admin, json={"title": " Dreigen ", "level": "red"})
    assert r.status_code == 201 and r.json()["title"] == "Dreigen"
    assert_problem(
        client.post("/v1/norms", headers=tenant.admin, json={"title": "   ", "level": "red"}), 422
    )


def test_an_import_mapping_names_the_target_its_kind_needs_in_the_schema() -> None:
    # "a function mapping needs function_group_id and no role" was a validator only:
    # schemathesis sent {"kind": "function", "value": ...} and met a 422 the schema allowed.
    # (jsonschema_rs: the validator schemathesis itself uses, pinned with it.)
    schema = {**_schema("ImportMappingCreate"), "components": DOCUMENT["components"]}
    valid = jsonschema_rs.validator_for(schema).is_valid
    group = str(uuid.uuid4())
    assert valid({"kind": "function", "value": "Jongerenwerker", "function_group_id": group})
    assert valid({"kind": "role", "value": "Coördinator", "role": "team_manager"})
    assert not valid({"kind": "function", "value": "Jongerenwerker"})
    assert not valid({"kind": "role", "value": "mt-lid"})
    both = {"function_group_id": group, "role": "employee"}
    assert not valid({"kind": "function", "value": "x", **both})
    assert not valid({"kind": "role", "value": "x", **both})


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://127.0.0.1:9/hook?x=\u0085", False),  # NEL: white space to Python, not ECMA
        ("http://127.0.0.1:9/hook\u001c", False),  # a separator Python's `\s` matches too
        ("http://127.0.0.1:9/hook\u00a0", False),  # white space to both
        ("http://127.0.0.1:9/h\u00e4k", True),  # a letter
        ("http://127.0.0.1:9/\U00050598", True),  # beyond the BMP
    ],
)
def test_the_webhook_url_pattern_means_to_clients_what_it_means_to_the_server(
    client: TestClient,
    tenant: Tenant,
    url: str,
    accepted: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Schemathesis sent a URL with U+0085 that the document's pattern allowed (`\S`, read
    # as ECMA-262 as JSON Schema says) and the server refused (`\S` in Python's dialect).
    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", True)
    schema = {**_schema("WebhookSubscriptionCreate"), "components": DOCUMENT["components"]}
    assert jsonschema_rs.validator_for(schema).is_valid({"url": url}) is accepted
    r = client.post("/v1/webhook-subscriptions", headers=tenant.admin, json={"url": url})
    if accepted:
        assert r.status_code == 201, r.text
    else:
        assert_problem(r, 422, "validation-error")


def test_no_pattern_in_the_document_uses_a_class_whose_meaning_differs_by_dialect() -> None:
    # `\s`, `\d`, `\w` and their negations match different characters in ECMA-262 (the
    # document's dialect) and in Python or pydantic's Rust engine (the server's).
    patterns = list(_patterns(DOCUMENT))
    assert patterns
    # A backslash-letter escape not itself escaped (`\\s` is a backslash, then an s).
    shorthand = re.compile(r"(?<!\\)(?:\\\\)*\\[sSdDwWbB]")
    assert [p for p in patterns if shorthand.search(p)] == []


def _patterns(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)
