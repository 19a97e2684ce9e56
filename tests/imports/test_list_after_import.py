"""An import's changes reach the employee list, whose rows' JSON is remembered by version
(core/rowcache.py): the bulk path must bump ``updated_at`` like every other write."""

import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from tests.conftest import Tenant
from tests.imports.conftest import Post, example


@pytest.mark.usefixtures("org_structure")
def test_imported_changes_and_deactivations_are_listed(
    post_import: Post, client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "row_cache_entries", 1000)
    data = example("medewerkers-export-excel.csv").decode("cp1252")
    assert post_import("employees", data.encode("cp1252")).status_code == 200

    def listed() -> dict[str, tuple[object, object]]:
        r = client.get("/v1/employees?limit=200", headers=tenant.read)
        assert r.status_code == 200, r.text
        return {e["external_id"]: (e["full_name"], e["active"]) for e in r.json()["items"]}

    before = listed()
    assert before["100235"] == ("Jan-Willem 't Hooft", True)
    changed = data.replace("Jan-Willem;'t;Hooft", "Jan-Willem;;Hooft")
    assert post_import("employees", changed.encode("cp1252")).json()["updated"] == 1
    assert listed()["100235"] == ("Jan-Willem Hooft", True)

    # Absent from a full import: deactivated by the bulk path.
    without = "\r\n".join(line for line in changed.split("\r\n") if "100235" not in line)
    r = post_import("employees", without.encode("cp1252"), deactivate_missing=True)
    assert r.status_code == 200, r.text
    assert listed()["100235"] == ("Jan-Willem Hooft", False)
