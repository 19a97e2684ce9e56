"""Imports leave the cyclic garbage collector as they found it.

They used to pause it; with the startup objects frozen that no longer pays (docs/imports.md),
so an import must neither switch it off nor switch it back on.
"""

import gc
from collections.abc import Iterator

import pytest

from app.imports import parsing, service
from tests.imports.conftest import Post


@pytest.fixture
def gc_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("gc_enabled")
def test_the_collector_runs_during_an_import_good_or_rejected(
    post_import: Post, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    parse = parsing.parse_body

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "parse_body", spy)
    assert post_import("teams", "external_id;name\nT-1;Een\n").status_code == 200
    assert post_import("teams", "external_id;name\nT-2;\n").status_code == 422
    assert seen == [True, True]
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(post_import: Post) -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        assert post_import("teams", "external_id;name\nT-3;Drie\n").status_code == 200
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
