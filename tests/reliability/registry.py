"""How to exercise every route of the API, shared by the isolation and hostile-input tests.

``ROUTES`` maps ``"METHOD /path"`` to a ``Call``: the body and query that succeed for the
organisation that owns the resources. Path parameters are filled by ``MAKERS`` (one per
parameter name, creating the resource through the API and remembering its id). A new
route needs one line in ``ROUTES``; tests/reliability/test_isolation.py fails until it
has one, so coverage cannot fall behind silently.
"""

import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.core.dates import today
from app.organisation.models import RuleSeverities
from tests.conftest import Tenant

_seq = itertools.count(1)
TODAY = today()
PARAM = re.compile(r"{(\w+)}")
# A public name (not resolved when a subscription is stored): loopback is refused.
HOOK_URL = "https://hooks.example.org/veerkracht"


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the API under /v1 (HEAD and OPTIONS excluded)."""
    out = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith("/v1/"):
            continue
        for method in sorted(route.methods or ()):
            if method not in ("HEAD", "OPTIONS"):
                out.append((method, path))
    return sorted(set(out))


class World:
    """Resources of one organisation, created on demand through the API."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client = client
        self.tenant = tenant
        self.ids: dict[str, str] = {}
        self.created: set[str] = set()
        self.external_ids: dict[str, str] = {}

    def id(self, name: str) -> str:
        """The id for a path or body parameter, creating the resource the first time."""
        if name not in self.ids:
            self.ids[name] = MAKERS[name](self)
            self.created.add(self.ids[name])
        return self.ids[name]

    def post(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> str:
        """Create through the API (admin key); the new resource's id."""
        r = self.client.post(path, json=body, headers=headers or self.tenant.admin)
        assert r.status_code in (200, 201), f"setup {path}: {r.status_code} {r.text}"
        new_id: str = r.json()["id"]
        self.created.add(new_id)
        return new_id

    def ext(self, prefix: str) -> str:
        """A fresh external id."""
        value = f"{prefix}-{next(_seq)}-{uuid.uuid4().hex[:6]}"
        self.external_ids[prefix] = value
        return value


def _settings(w: World) -> None:
    # The rules that refuse an enrolment or an unaligned goal are not what these tests are
    # about; switching them off lets every route succeed for the owner.
    r = w.client.patch(
        "/v1/organisation",
        headers=w.tenant.admin,
        json={
            "settings": {
                "allow_unaligned_personal_goals": True,
                "rule_severities": dict.fromkeys(RuleSeverities.model_fields, "off"),
            }
        },
    )
    assert r.status_code == 200, r.text


def prepare(w: World) -> World:
    """Organisation settings under which every registered call can succeed."""
    _settings(w)
    return w


def _external_id(w: World, path: str, maker: str) -> str:
    # The HR key of a resource the maker made (read back: makers share their prefixes).
    r = w.client.get(f"{path}/{w.id(maker)}", headers=w.tenant.admin)
    value: str = r.json()["external_id"]
    return value


def _employee(w: World, **extra: Any) -> str:
    n = next(_seq)
    return w.post(
        "/v1/employees",
        {
            "first_name": "Sanne",
            "last_name": f"Visser {n}",
            "email": f"sanne{n}.{uuid.uuid4().hex[:6]}@example.nl",
            "external_id": w.ext("E"),
            "team_id": w.id("team_id"),
            "function_group_id": w.id("function_group_id"),
            **extra,
        },
    )


def _session_body(w: World, *, days_ahead: int = 30) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_ahead)
    return {
        "program_id": w.id("program_id"),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(),
        "capacity": 20,
    }


def _reflection_body(w: World) -> dict[str, Any]:
    return {
        "enrolment_id": w.id("enrolment_id"),
        "personal_goal_ids": [w.id("personal_goal_id")],
        "situation": "Een cliënt die niet wil vertrekken bij de balie",
    }


def _evaluation_body(w: World) -> dict[str, Any]:
    return {
        "enrolment_id": w.id("past_enrolment_id"),
        "attendance": "present",
        "rating": 4,
        "helped": "Oefenen met de acteur",
        "practise_more": "Begrenzen aan de telefoon",
        "trainer_note": "Blijft rustig, benoemt het gedrag.",
    }


def _all_skill_ids(w: World) -> list[str]:
    r = w.client.get("/v1/skills?limit=200", headers=w.tenant.admin)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["items"]]


def _plan(w: World) -> str:
    # A team with a manager and staff, and a programme that trains every skill: the plan
    # then has a management phase and a staff phase to schedule.
    w.id("employee_id")
    w.post(
        "/v1/training-programs",
        {"title": "Alles-in-een", "audience": "mixed", "skill_ids": _all_skill_ids(w)},
    )
    return w.post(
        "/v1/training-plans",
        {
            "scope": {"team_id": w.id("team_id")},
            "starts_on": (TODAY + timedelta(days=7)).isoformat(),
        },
    )


def _schedule(w: World) -> dict[str, Any]:
    plan = w.client.get(f"/v1/training-plans/{w.id('plan_id')}", headers=w.tenant.admin).json()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
    return {
        "phases": [
            {"phase": p["phase"], "starts_at": (start + timedelta(days=14 * i)).isoformat()}
            for i, p in enumerate(ph for ph in plan["phases"] if ph["groups"])
        ]
    }


def _published_protocol(w: World) -> str:
    protocol_id = w.post(
        "/v1/protocols",
        {
            "title": "Agressieprotocol (gepubliceerd)",
            "sections": [{"kind": "agreement", "title": "Melden", "body": "Altijd melden."}],
        },
    )
    r = w.client.post(f"/v1/protocols/{protocol_id}/publish", headers=w.tenant.admin)
    assert r.status_code == 200, f"setup publish: {r.status_code} {r.text}"
    return protocol_id


def _incident_body(w: World) -> dict[str, Any]:
    return {
        "occurred_at": (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0).isoformat(),
        "team_id": w.id("team_id"),
        "function_group_id": w.id("function_group_id"),
        "norm_id": w.id("norm_id"),
        "category": "threat",
        "severity": 3,
        "description": "Cliënt dreigde bij de balie.",
        "involved": [{"employee_id": w.id("employee_id"), "involvement": "affected"}],
    }


def _aftercare(w: World) -> str:
    r = w.client.get(
        "/v1/aftercare", params={"incident_id": w.id("incident_id")}, headers=w.tenant.admin
    )
    assert r.status_code == 200, f"setup aftercare: {r.status_code} {r.text}"
    aftercare_id: str = r.json()["items"][0]["id"]
    # Recorded (given today), so that its day can be read and changed.
    given = w.client.patch(
        f"/v1/aftercare/{aftercare_id}", json={"status": "given"}, headers=w.tenant.admin
    )
    assert given.status_code == 200, f"setup aftercare: {given.status_code} {given.text}"
    return aftercare_id


MAKERS: dict[str, Callable[[World], str]] = {
    "plan_id": _plan,
    "api_key_id": lambda w: w.post("/v1/api-keys", {"name": "HR-koppeling", "scope": "write"}),
    "subscription_id": lambda w: w.post("/v1/webhook-subscriptions", {"url": HOOK_URL}),
    "identity_provider_id": lambda w: w.post(
        "/v1/identity-providers",
        {
            "name": "IdP",
            "issuer": f"https://login.example.org/{uuid.uuid4().hex}",
            "audience": "api://veerkracht",
        },
    ),
    "user_id": lambda w: w.post(
        "/v1/users", {"email": f"u{next(_seq)}@example.nl", "roles": ["hr_viewer"]}
    ),
    "team_id": lambda w: w.post("/v1/teams", {"name": "Jongerenwerk", "external_id": w.ext("T")}),
    "function_group_id": lambda w: w.post(
        "/v1/function-groups",
        {"name": "Ambulant", "likelihood": 4, "impact": 3, "external_id": w.ext("FG")},
    ),
    "employee_id": _employee,
    "employee_external_id": lambda w: _external_id(w, "/v1/employees", "employee_id"),
    "team_external_id": lambda w: _external_id(w, "/v1/teams", "team_id"),
    "function_group_external_id": lambda w: _external_id(
        w, "/v1/function-groups", "function_group_id"
    ),
    "import_mapping_id": lambda w: w.post(
        "/v1/import-mappings", {"kind": "role", "value": f"rol {next(_seq)}", "role": "employee"}
    ),
    "manager_id": lambda w: _employee(w, role="senior_management"),
    "inactive_employee_id": lambda w: _employee(w, active=False),
    "norm_id": lambda w: w.post("/v1/norms", {"title": "Schelden", "level": "orange"}),
    "protocol_id": lambda w: w.post(
        "/v1/protocols",
        {
            "title": "Agressieprotocol",
            "sections": [{"kind": "agreement", "title": "Melden", "body": "Altijd melden."}],
            "norm_ids": [w.id("norm_id")],
        },
    ),
    "published_protocol_id": _published_protocol,
    "team_discussion_id": lambda w: w.post(
        f"/v1/protocols/{w.id('published_protocol_id')}/team-discussions",
        {"team_id": w.id("team_id"), "discussed_on": TODAY.isoformat()},
    ),
    "skill_id": lambda w: w.post(
        "/v1/skills",
        {"code": f"eigen_{next(_seq)}", "label_nl": "Eigen vaardigheid", "label_en": "Own"},
    ),
    "team_goal_id": lambda w: w.post(
        "/v1/team-goals",
        {"team_id": w.id("team_id"), "skill_id": w.id("skill_id"), "description": "Samen"},
    ),
    "personal_goal_id": lambda w: w.post(
        "/v1/personal-goals",
        {"employee_id": w.id("employee_id"), "skill_id": w.id("skill_id"), "description": "Ik"},
    ),
    "program_id": lambda w: w.post(
        "/v1/training-programs", {"title": "De-escaleren", "audience": "mixed"}
    ),
    "session_id": lambda w: w.post("/v1/training-sessions", _session_body(w)),
    # Attendance and completion need a session that has started.
    "past_session_id": lambda w: w.post("/v1/training-sessions", _session_body(w, days_ahead=-1)),
    "past_enrolment_id": lambda w: w.post(
        f"/v1/training-sessions/{w.id('past_session_id')}/enrolments",
        {"employee_id": w.id("employee_id")},
    ),
    "enrolment_id": lambda w: w.post(
        f"/v1/training-sessions/{w.id('session_id')}/enrolments",
        {"employee_id": w.id("employee_id")},
    ),
    "organisation_goal_id": lambda w: w.post(
        "/v1/organisation-goals", {"title": "Veilig werken in de wijk"}
    ),
    "evaluation_id": lambda w: w.post("/v1/training-evaluations", _evaluation_body(w)),
    "reflection_id": lambda w: w.post("/v1/training-reflections", _reflection_body(w)),
    "item_id": lambda w: w.post(
        "/v1/follow-up-items",
        {"kind": "action_point", "description": "Oefenen", "owner_team_id": w.id("team_id")},
    ),
    "review_id": lambda w: w.post(
        "/v1/practice-reviews", {"team_id": w.id("team_id"), "held_on": TODAY.isoformat()}
    ),
    "meeting_id": lambda w: w.post(
        "/v1/team-meetings", {"team_id": w.id("team_id"), "held_on": TODAY.isoformat()}
    ),
    "incident_id": lambda w: w.post("/v1/incidents", _incident_body(w)),
    "aftercare_id": _aftercare,
    "conversation_id": lambda w: w.post(
        "/v1/hrm-conversations",
        {
            "employee_id": w.id("employee_id"),
            "manager_id": w.id("manager_id"),
            "held_on": TODAY.isoformat(),
            "kind": "planning",
        },
    ),
}


@dataclass(frozen=True)
class Call:
    """How to call one route so that it succeeds for the owning organisation."""

    body: Callable[[World], Any] | None = None
    query: Callable[[World], dict[str, str]] | None = None
    # Path parameters filled differently from MAKERS (fixed values or another maker).
    path: dict[str, str] = field(default_factory=dict)
    # Statuses that count as success for the owner.
    ok: frozenset[int] = frozenset({200, 201, 204})
    # False for a POST that only evaluates (a dry-run check): a read key may call it.
    writes: bool = True
    # A PUT by the HR key (an upsert): another organisation's call makes its own
    # resource with that key, so it is not a 404 (its answer must still leak nothing).
    upsert: bool = False

    def url(self, w: World, template: str) -> str:
        """The path with every parameter filled in."""

        def fill(m: re.Match[str]) -> str:
            name = m.group(1)
            fixed = self.path.get(name)
            if fixed is not None:
                return fixed if not fixed.startswith("@") else w.id(fixed[1:])
            return w.id(name)

        return PARAM.sub(fill, template)


def _import_rows(w: World) -> list[dict[str, Any]]:
    # Reuses the owner's employee external id: another organisation importing the same
    # HR number must get its own employee, never touch the owner's.
    w.id("employee_id")
    return [{"external_id": w.external_ids["E"], "first_name": "Import", "last_name": "Rij"}]


def _a_published_protocol(w: World) -> dict[str, str]:
    # No parameters; the organisation has a current protocol, so the owner's call succeeds.
    w.id("published_protocol_id")
    return {}


def _an_uncovered_employee(w: World) -> dict[str, str]:
    # No filter; the owner has an employee the HRM theme has not reached, whose id another
    # organisation must never see in its own list.
    w.id("employee_id")
    return {}


def _a_function_group(w: World) -> dict[str, str]:
    # No parameters; the owner's analysis names its function group, which B must not see.
    w.id("function_group_id")
    return {}


def _an_incident(w: World) -> dict[str, str]:
    # No parameters; the owner's report counts its incident's team, which B must not see.
    w.id("incident_id")
    return {}


READ = Call()
ROUTES: dict[str, Call] = {
    "GET /v1/organisation": READ,
    "PATCH /v1/organisation": Call(body=lambda w: {"name": "Stichting Hernoemd"}),
    "GET /v1/api-keys": READ,
    "POST /v1/api-keys": Call(body=lambda w: {"name": "Koppeling", "scope": "read"}),
    "GET /v1/api-keys/{api_key_id}": READ,
    "DELETE /v1/api-keys/{api_key_id}": READ,
    "GET /v1/teams": READ,
    "POST /v1/teams": Call(body=lambda w: {"name": "Nieuw", "manager_ids": [w.id("manager_id")]}),
    "GET /v1/teams/{team_id}": READ,
    "PATCH /v1/teams/{team_id}": Call(body=lambda w: {"name": "Hernoemd"}),
    "DELETE /v1/teams/{team_id}": READ,
    "GET /v1/teams/{team_id}/learning-needs": READ,
    "GET /v1/function-groups": READ,
    "POST /v1/function-groups": Call(body=lambda w: {"name": "FG", "likelihood": 1, "impact": 1}),
    "GET /v1/function-groups/{function_group_id}": READ,
    "PATCH /v1/function-groups/{function_group_id}": Call(body=lambda w: {"impact": 5}),
    "DELETE /v1/function-groups/{function_group_id}": READ,
    "GET /v1/function-groups/{function_group_id}/needs": READ,
    "PUT /v1/function-groups/{function_group_id}/needs": Call(
        body=lambda w: {"needs": [{"skill_id": w.id("skill_id")}]}
    ),
    "DELETE /v1/function-groups/{function_group_id}/needs": READ,
    "GET /v1/employees": READ,
    "POST /v1/employees": Call(
        body=lambda w: {"first_name": "Daan", "last_name": "Bos", "team_id": w.id("team_id")}
    ),
    "GET /v1/employees/{employee_id}": READ,
    "GET /v1/by-external-id/employees/{external_id}": Call(
        path={"external_id": "@employee_external_id"}
    ),
    "PATCH /v1/by-external-id/employees/{external_id}": Call(
        body=lambda w: {"last_name": "Jansen"}, path={"external_id": "@employee_external_id"}
    ),
    # The owner's key: a replacement (another organisation's call creates its own).
    "PUT /v1/by-external-id/employees/{external_id}": Call(
        body=lambda w: {"first_name": "Put", "last_name": "Rij", "team_id": w.id("team_id")},
        path={"external_id": "@employee_external_id"},
        upsert=True,
    ),
    "GET /v1/by-external-id/teams/{external_id}": Call(path={"external_id": "@team_external_id"}),
    "PATCH /v1/by-external-id/teams/{external_id}": Call(
        body=lambda w: {"name": "Hernoemd"}, path={"external_id": "@team_external_id"}
    ),
    "PUT /v1/by-external-id/teams/{external_id}": Call(
        body=lambda w: {"name": "Nieuw"}, path={"external_id": "@team_external_id"}, upsert=True
    ),
    "GET /v1/by-external-id/function-groups/{external_id}": Call(
        path={"external_id": "@function_group_external_id"}
    ),
    "PATCH /v1/by-external-id/function-groups/{external_id}": Call(
        body=lambda w: {"impact": 5}, path={"external_id": "@function_group_external_id"}
    ),
    "PUT /v1/by-external-id/function-groups/{external_id}": Call(
        body=lambda w: {"name": "FG", "likelihood": 1, "impact": 1},
        path={"external_id": "@function_group_external_id"},
        upsert=True,
    ),
    "GET /v1/import-mappings": READ,
    "POST /v1/import-mappings": Call(
        body=lambda w: {"kind": "role", "value": f"rol {next(_seq)}", "role": "team_manager"}
    ),
    "GET /v1/import-mappings/{import_mapping_id}": READ,
    "PATCH /v1/import-mappings/{import_mapping_id}": Call(
        body=lambda w: {"value": f"rol {next(_seq)}"}
    ),
    "DELETE /v1/import-mappings/{import_mapping_id}": READ,
    "PATCH /v1/employees/{employee_id}": Call(body=lambda w: {"last_name": "Jansen"}),
    "DELETE /v1/employees/{employee_id}": READ,
    "POST /v1/employees/{employee_id}/erase": Call(path={"employee_id": "@inactive_employee_id"}),
    "GET /v1/employees/{employee_id}/training-record": READ,
    "GET /v1/norms": READ,
    "POST /v1/norms": Call(body=lambda w: {"title": "Slaan", "level": "red"}),
    "GET /v1/norms/{norm_id}": READ,
    "PATCH /v1/norms/{norm_id}": Call(body=lambda w: {"title": "Dreigen"}),
    "DELETE /v1/norms/{norm_id}": READ,
    "GET /v1/protocols": READ,
    "POST /v1/protocols": Call(
        body=lambda w: {"title": "Protocol 2", "norm_ids": [w.id("norm_id")]}
    ),
    "GET /v1/protocols/current": Call(query=_a_published_protocol),
    "GET /v1/protocols/current/readiness": Call(query=_a_published_protocol),
    "GET /v1/protocols/{protocol_id}": READ,
    "PATCH /v1/protocols/{protocol_id}": Call(body=lambda w: {"title": "Protocol herzien"}),
    "DELETE /v1/protocols/{protocol_id}": READ,
    "POST /v1/protocols/{protocol_id}/publish": READ,
    "GET /v1/protocols/{protocol_id}/acknowledgements": READ,
    "POST /v1/protocols/{protocol_id}/acknowledgements": Call(
        body=lambda w: {"employee_id": w.id("employee_id")},
        path={"protocol_id": "@published_protocol_id"},
    ),
    "GET /v1/protocols/{protocol_id}/team-discussions": READ,
    "POST /v1/protocols/{protocol_id}/team-discussions": Call(
        body=lambda w: {"team_id": w.id("team_id"), "discussed_on": TODAY.isoformat()},
        path={"protocol_id": "@published_protocol_id"},
    ),
    "GET /v1/protocols/{protocol_id}/team-discussions/{team_discussion_id}": Call(
        path={"protocol_id": "@published_protocol_id"}
    ),
    "GET /v1/skills": READ,
    "POST /v1/skills": Call(
        body=lambda w: {"code": f"nieuw_{next(_seq)}", "label_nl": "Nieuw", "label_en": "New"}
    ),
    "GET /v1/skills/{skill_id}": READ,
    "PATCH /v1/skills/{skill_id}": Call(body=lambda w: {"label_en": "Renamed"}),
    "DELETE /v1/skills/{skill_id}": READ,
    "GET /v1/team-goals": READ,
    "POST /v1/team-goals": Call(
        body=lambda w: {
            "team_id": w.id("team_id"),
            "skill_id": w.id("skill_id"),
            "description": "Wij",
        }
    ),
    "GET /v1/team-goals/{team_goal_id}": READ,
    "PATCH /v1/team-goals/{team_goal_id}": Call(body=lambda w: {"description": "Wij samen"}),
    "DELETE /v1/team-goals/{team_goal_id}": READ,
    "GET /v1/personal-goals": READ,
    "POST /v1/personal-goals": Call(
        body=lambda w: {
            "employee_id": w.id("employee_id"),
            "skill_id": w.id("skill_id"),
            "description": "Ik wil",
        }
    ),
    "POST /v1/personal-goals/check": Call(
        body=lambda w: {"employee_id": w.id("employee_id"), "skill_id": w.id("skill_id")},
        writes=False,
    ),
    "GET /v1/personal-goals/{personal_goal_id}": READ,
    "PATCH /v1/personal-goals/{personal_goal_id}": Call(
        body=lambda w: {"description": "Ik wil meer"}
    ),
    "DELETE /v1/personal-goals/{personal_goal_id}": READ,
    "GET /v1/training-programs": READ,
    "POST /v1/training-programs": Call(
        body=lambda w: {"title": "Weerbaarheid", "audience": "staff"}
    ),
    "GET /v1/training-programs/{program_id}": READ,
    "PATCH /v1/training-programs/{program_id}": Call(body=lambda w: {"title": "Weerbaar"}),
    "DELETE /v1/training-programs/{program_id}": READ,
    "GET /v1/training-sessions": READ,
    "POST /v1/training-sessions": Call(body=_session_body),
    "GET /v1/training-sessions/{session_id}": READ,
    "PATCH /v1/training-sessions/{session_id}": Call(body=lambda w: {"location": "Utrecht"}),
    "DELETE /v1/training-sessions/{session_id}": READ,
    "POST /v1/training-sessions/{session_id}/complete": Call(
        body=lambda w: {}, path={"session_id": "@past_session_id"}
    ),
    "GET /v1/training-sessions/{session_id}/enrolments": READ,
    "GET /v1/training-sessions/{session_id}/readiness": READ,
    "GET /v1/training-sessions/{session_id}/reflections": READ,
    "GET /v1/training-sessions/{session_id}/briefing": READ,
    "GET /v1/training-reflections": READ,
    "GET /v1/training-evaluations": READ,
    "POST /v1/training-evaluations": Call(body=_evaluation_body),
    "GET /v1/training-evaluations/{evaluation_id}": READ,
    "PATCH /v1/training-evaluations/{evaluation_id}": Call(body=lambda w: {"rating": 5}),
    "DELETE /v1/training-evaluations/{evaluation_id}": READ,
    "GET /v1/goal-progress": READ,
    "GET /v1/organisation-goals": READ,
    "POST /v1/organisation-goals": Call(body=lambda w: {"title": "Minder incidenten"}),
    "GET /v1/organisation-goals/{organisation_goal_id}": READ,
    "PATCH /v1/organisation-goals/{organisation_goal_id}": Call(
        body=lambda w: {"status": "archived"}
    ),
    "DELETE /v1/organisation-goals/{organisation_goal_id}": READ,
    "GET /v1/reports/training-evaluations": READ,
    "POST /v1/training-reflections": Call(body=_reflection_body),
    "GET /v1/training-reflections/{reflection_id}": READ,
    "PATCH /v1/training-reflections/{reflection_id}": Call(
        body=lambda w: {"situation": "Een cliënt die scheldt aan de telefoon"}
    ),
    "DELETE /v1/training-reflections/{reflection_id}": READ,
    "POST /v1/training-sessions/{session_id}/enrolments": Call(
        body=lambda w: {"employee_id": w.id("employee_id")}
    ),
    "POST /v1/training-sessions/{session_id}/enrolments/check": Call(
        body=lambda w: {"employee_id": w.id("employee_id")}
    ),
    "GET /v1/training-sessions/{session_id}/enrolments/{enrolment_id}": READ,
    "PATCH /v1/training-sessions/{session_id}/enrolments/{enrolment_id}": Call(
        body=lambda w: {"status": "attended"},
        path={"session_id": "@past_session_id", "enrolment_id": "@past_enrolment_id"},
    ),
    "POST /v1/training-sessions/{session_id}/follow-up-items": Call(
        body=lambda w: {
            "items": [
                {
                    "kind": "learning_point",
                    "description": "Leerpunt",
                    "owner_team_id": w.id("team_id"),
                }
            ]
        }
    ),
    "GET /v1/reports/refreshers-due": READ,
    "GET /v1/follow-up-items": READ,
    "POST /v1/follow-up-items": Call(
        body=lambda w: {
            "kind": "attention_point",
            "description": "Let op",
            "owner_employee_id": w.id("employee_id"),
        }
    ),
    "GET /v1/incidents": READ,
    "POST /v1/incidents": Call(body=_incident_body),
    "GET /v1/incidents/{incident_id}": READ,
    "PATCH /v1/incidents/{incident_id}": Call(body=lambda w: {"severity": 4}),
    "DELETE /v1/incidents/{incident_id}": READ,
    "GET /v1/aftercare": Call(query=_an_incident),
    "GET /v1/aftercare/{aftercare_id}": READ,
    "PATCH /v1/aftercare/{aftercare_id}": Call(
        body=lambda w: {"status": "declined", "notes": "Wil er nu niet over praten."}
    ),
    "GET /v1/risk-analysis": Call(query=_a_function_group),
    "GET /v1/function-groups/{function_group_id}/risk-analysis": READ,
    "GET /v1/reports/incidents": Call(query=_an_incident),
    "GET /v1/reports/aftercare-compliance": Call(query=_an_incident),
    "GET /v1/follow-up-items/{item_id}": READ,
    "PATCH /v1/follow-up-items/{item_id}": Call(body=lambda w: {"status": "done"}),
    "DELETE /v1/follow-up-items/{item_id}": READ,
    "GET /v1/practice-reviews": READ,
    "POST /v1/practice-reviews": Call(
        body=lambda w: {"team_id": w.id("team_id"), "held_on": TODAY.isoformat()}
    ),
    "GET /v1/practice-reviews/{review_id}": READ,
    "PATCH /v1/practice-reviews/{review_id}": Call(body=lambda w: {"summary": "Goed"}),
    "DELETE /v1/practice-reviews/{review_id}": READ,
    "GET /v1/team-meetings": READ,
    "POST /v1/team-meetings": Call(
        body=lambda w: {"team_id": w.id("team_id"), "held_on": TODAY.isoformat()}
    ),
    "GET /v1/team-meetings/{meeting_id}": READ,
    "PATCH /v1/team-meetings/{meeting_id}": Call(body=lambda w: {"notes": "Besproken"}),
    "DELETE /v1/team-meetings/{meeting_id}": READ,
    "GET /v1/hrm-conversations": READ,
    "POST /v1/hrm-conversations": Call(
        body=lambda w: {
            "employee_id": w.id("employee_id"),
            "manager_id": w.id("manager_id"),
            "held_on": TODAY.isoformat(),
            "kind": "progress",
        }
    ),
    "GET /v1/hrm-conversations/{conversation_id}": READ,
    "PATCH /v1/hrm-conversations/{conversation_id}": Call(body=lambda w: {"theme_discussed": True}),
    "DELETE /v1/hrm-conversations/{conversation_id}": READ,
    "POST /v1/imports/{kind}": Call(body=_import_rows, path={"kind": "employees"}),
    "GET /v1/exports/{kind}": Call(path={"kind": "employees"}),
    "GET /v1/audit-events": READ,
    "GET /v1/changes": READ,
    "GET /v1/employee-status": READ,
    "POST /v1/webhook-subscriptions": Call(body=lambda w: {"url": HOOK_URL}),
    "GET /v1/webhook-subscriptions": READ,
    "GET /v1/webhook-subscriptions/{subscription_id}": READ,
    "PATCH /v1/webhook-subscriptions/{subscription_id}": Call(body=lambda w: {"description": "HR"}),
    "DELETE /v1/webhook-subscriptions/{subscription_id}": READ,
    "GET /v1/webhook-subscriptions/{subscription_id}/deliveries": READ,
    "POST /v1/webhook-subscriptions/{subscription_id}/ping": READ,
    "POST /v1/webhook-subscriptions/{subscription_id}/rotate-secret": Call(
        body=lambda w: {"previous_secret_hours": 1}
    ),
    "GET /v1/me": READ,
    "GET /v1/identity-providers": READ,
    "POST /v1/identity-providers": Call(
        body=lambda w: {
            "name": "Entra ID",
            "issuer": f"https://login.example.org/{uuid.uuid4().hex}",
            "audience": "api://veerkracht",
            "group_roles": {"hr": ["hr_admin"]},
        },
        # An (issuer, audience) names one organisation: the other organisation's call,
        # made first with the same body, took it, so the owner's is a 409.
        ok=frozenset({201, 409}),
    ),
    "GET /v1/identity-providers/{identity_provider_id}": READ,
    "PATCH /v1/identity-providers/{identity_provider_id}": Call(
        body=lambda w: {"group_roles": {"staff": ["employee"]}}
    ),
    "DELETE /v1/identity-providers/{identity_provider_id}": READ,
    "GET /v1/users": READ,
    "POST /v1/users": Call(
        body=lambda w: {
            "email": f"nieuw{next(_seq)}@example.nl",
            "employee_id": w.id("employee_id"),
            "roles": ["employee"],
        }
    ),
    "GET /v1/users/{user_id}": READ,
    "PATCH /v1/users/{user_id}": Call(body=lambda w: {"roles": ["hr_admin"]}),
    "DELETE /v1/users/{user_id}": READ,
    "GET /v1/reports/overview": READ,
    "GET /v1/reports/teams": READ,
    "GET /v1/reports/hrm-theme-gaps": Call(query=_an_uncovered_employee),
    "GET /v1/training-recommendations": Call(query=lambda w: {"team_id": w.id("team_id")}),
    "GET /v1/training-plans": READ,
    "POST /v1/training-plans": Call(
        body=lambda w: {"scope": {"team_id": w.id("team_id")}, "starts_on": TODAY.isoformat()}
    ),
    "GET /v1/training-plans/{plan_id}": READ,
    "DELETE /v1/training-plans/{plan_id}": READ,
    "POST /v1/training-plans/{plan_id}/schedule": Call(body=_schedule),
}


@dataclass(frozen=True)
class Prepared:
    """One registered call, resolved in a freshly prepared world of the owning organisation."""

    method: str
    template: str
    url: str
    call: Call
    world: World
    body: Any
    query: dict[str, str] | None


def prepared_call(route: str, client: TestClient, tenant: Tenant) -> Prepared:
    """Prepare the organisation, then fill in ``route``'s path, body and query."""
    method, template = route.split(" ", 1)
    call = ROUTES[route]
    w = prepare(World(client, tenant))
    url = call.url(w, template)
    body = call.body(w) if call.body else None
    query = call.query(w) if call.query else None
    return Prepared(method, template, url, call, w, body, query)
