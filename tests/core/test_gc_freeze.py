"""The startup objects are frozen out of the cyclic GC's reach once the app has started."""

import gc

import pytest
from fastapi.testclient import TestClient

from app import main
from app.main import create_app


def test_startup_freezes_what_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    # A process that has not frozen yet (the suite's other apps have, in this process).
    gc.unfreeze()
    monkeypatch.setattr(main, "_startup_frozen", False)
    assert gc.get_freeze_count() == 0
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000  # routes, models, validators: the application
    # A second app in the same process (tests) does not collect and freeze again.
    calls: list[str] = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    with TestClient(create_app()):
        pass
    assert calls == []
