"""An answer that derives from the calendar day has an ETag of the day (RFC 9110 8.8.3).

A follow-up item's `overdue` turns at midnight without any write, and so does a function
group's `risk_assessment_due`: a client revalidating the next day must get the new answer,
not a 304 for the one it holds. Rows whose answer is the row alone keep their ETag.
"""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.dates import today
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group
from tests.factories.followup import make_item
from tests.helpers import assert_problem, set_clock

NOON = datetime.combine(today(), datetime.min.time(), UTC) + timedelta(hours=11)


def _revalidated(client: TestClient, tenant: Tenant, url: str, etag: str) -> int:
    return client.get(url, headers={**tenant.read, "If-None-Match": etag}).status_code


def test_an_item_that_turned_overdue_overnight_is_not_304(
    client: TestClient, tenant: Tenant, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, NOON)
    item = make_item(db, owner=make_employee(db), due_on=today())
    db.commit()
    url = f"/v1/follow-up-items/{item.id}"
    read = client.get(url, headers=tenant.read)
    assert read.json()["overdue"] is False
    etag = read.headers["ETag"]
    assert _revalidated(client, tenant, url, etag) == 304  # the same day: unchanged

    set_clock(monkeypatch, NOON + timedelta(days=1))
    fresh = client.get(url, headers={**tenant.read, "If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.json()["overdue"] is True
    assert fresh.headers["ETag"] != etag
    # The same tag guards a change: yesterday's is stale.
    stale = client.patch(url, headers={**tenant.write, "If-Match": etag}, json={"status": "done"})
    assert_problem(stale, 412, "etag-mismatch")


def test_a_function_group_has_an_etag_of_the_day_and_an_employee_does_not(
    client: TestClient, tenant: Tenant, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_clock(monkeypatch, NOON)
    fg, emp = make_function_group(db), make_employee(db)
    db.commit()
    urls = {"fg": f"/v1/function-groups/{fg.id}", "emp": f"/v1/employees/{emp.id}"}
    tags = {k: client.get(u, headers=tenant.read).headers["ETag"] for k, u in urls.items()}
    set_clock(monkeypatch, NOON + timedelta(days=1))
    assert _revalidated(client, tenant, urls["fg"], tags["fg"]) == 200
    assert _revalidated(client, tenant, urls["emp"], tags["emp"]) == 304
