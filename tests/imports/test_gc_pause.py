"""Imports pause the cyclic garbage collector while they run, and always restore it."""

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
def test_the_collector_is_back_after_an_import_good_or_rejected(
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
    assert seen == [False, False]
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_enabled")
def test_overlapping_imports_restore_the_collector_when_the_last_ends() -> None:
    outer, inner = service._cyclic_gc_paused(), service._cyclic_gc_paused()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert not gc.isenabled()  # the other import still runs
    inner.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with service._cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
