"""The benchmarks stay runnable: every module of bench/ imports against today's app.

The benchmarks are run by hand (./dev bench), not by the suite; a rename in app/ (the
demo's names moved into dutch_name) once broke them without any test noticing.
"""

import importlib
import pkgutil
from pathlib import Path

import pytest

import bench


@pytest.mark.parametrize(
    "module", sorted(m.name for m in pkgutil.iter_modules(bench.__path__, "bench."))
)
def test_every_benchmark_module_imports(
    module: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The ceiling app reads its prepared answer at import, as uvicorn imports it.
    body = tmp_path / "body.json"
    body.write_bytes(b"{}")
    monkeypatch.setenv("VEERKRACHT_BENCH_CEILING_BODY", str(body))
    assert importlib.import_module(module).__name__ == module


def test_the_by_hand_employee_has_the_apps_keys_in_its_order() -> None:
    # bench/reference.py stops when they differ: a new EmployeePublic field (ended_on, issue
    # 19) once left the reference unable to run without any test noticing.
    from app.organisation.models import EmployeePublic
    from bench.by_hand import COLUMNS, SQLiteReads, employee

    row = tuple("x" if name.endswith("name") else None for name in COLUMNS)
    written = list(employee(SQLiteReads, row))  # type: ignore[arg-type]
    assert written == [*EmployeePublic.model_fields, *EmployeePublic.model_computed_fields]
