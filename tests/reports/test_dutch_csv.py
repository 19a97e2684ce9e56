"""Dutch CSV out (issue 19): every export and CSV report in Dutch on request."""

import csv
import io
from enum import StrEnum

import pytest
from fastapi.testclient import TestClient

from app.core.dutch import CODED, KIND_HEADERS, WORDS
from app.imports.models import MappingKind
from app.imports.service import KINDS
from app.incidents import reports as incident_reports
from app.incidents.models import IncidentCategory
from app.learning.models import PersonalGoalStatus, TeamGoalStatus
from app.organisation.models import ExposureLevel, Role
from app.policy.models import ReadyVia
from app.policy.readiness import READINESS_CSV_HEADER
from app.reports import service as report_service
from app.reports.hrm_theme import THEME_GAPS_CSV_HEADER
from app.reports.models import OverviewReport
from app.training.models import Audience
from app.training.router import CSV_FIELDS
from tests.conftest import Tenant
from tests.reports.conftest import Fixture

CSV = {"Accept": "text/csv"}
HEADERS = [
    *CSV_FIELDS,
    *READINESS_CSV_HEADER,
    *incident_reports.INCIDENT_CSV_HEADER,
    *incident_reports.COMPLIANCE_CSV_HEADER,
    *report_service.OVERVIEW_CSV_HEADER,
    *report_service.TEAMS_CSV_HEADER,
    *THEME_GAPS_CSV_HEADER,
    *(c.field for kind in KINDS.values() for c in kind.columns),
]
CODED_ENUMS: list[type[StrEnum]] = [
    Role,
    ExposureLevel,
    Audience,
    TeamGoalStatus,
    PersonalGoalStatus,
    IncidentCategory,
    ReadyVia,
    MappingKind,
]


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_every_header_and_coded_value_has_a_dutch_word() -> None:
    missing = sorted({h for h in HEADERS if h not in WORDS})
    assert not missing, f"add Dutch words to app/core/dutch.py WORDS: {missing}"
    values = {m.value for enum in CODED_ENUMS for m in enum}
    sections = [
        n for n, f in OverviewReport.model_fields.items() if hasattr(f.annotation, "model_fields")
    ]
    figures = {
        name
        for s in sections
        for name in OverviewReport.model_fields[s].annotation.model_fields  # type: ignore[union-attr]
    }
    missing = sorted(v for v in values | set(sections) | figures if v not in WORDS)
    assert not missing, f"add Dutch words to app/core/dutch.py WORDS: {missing}"
    assert {"role", "status", "category", "section", "figure"} <= CODED
    assert set(KIND_HEADERS) <= {k.value for k in KINDS}


def test_the_teams_report_in_dutch_with_accept_language(
    client: TestClient, tenant: Tenant, fixture_org: Fixture
) -> None:
    r = client.get("/v1/reports/teams", headers={**tenant.read, **CSV, "Accept-Language": "nl"})
    assert r.status_code == 200, r.text
    assert r.headers["content-language"] == "nl"
    rows = _rows(r.content)
    assert rows[0][:3] == ["team-id", "teamnaam", "extern id"]
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name["'=Team Twee"]["protocol bekend %"] == "100,0"  # decimal comma
    assert by_name["Team Één"]["agendapunt ontbreekt in laatste overleggen"] == "ja"
    # English stays the default for machines.
    english = _rows(client.get("/v1/reports/teams", headers={**tenant.read, **CSV}).content)
    assert english[0] == report_service.TEAMS_CSV_HEADER


@pytest.mark.parametrize("query", ["?lang=nl", ""])
def test_the_overview_in_dutch(
    client: TestClient, tenant: Tenant, fixture_org: Fixture, query: str
) -> None:
    headers = {**tenant.read, **CSV, **({} if query else {"Accept-Language": "nl-NL, en;q=0.5"})}
    rows = _rows(client.get(f"/v1/reports/overview{query}", headers=headers).content)
    assert rows[0] == ["onderdeel", "cijfer", "bereik", "waarde"]
    values = {(s, f): v for s, f, _scope, v in rows[1:]}
    assert values[("protocolkennis", "actieve medewerkers")] == "7"
    assert values[("opvolging", "open")] == "4"
