"""The shape issue 15 asked of `app/`, kept: a newcomer reads any module in one sitting,
and production code knows nothing of the tests.

Both rules were met once and then quietly broken (core/db.py grew to 531 lines); these
tests make the next breach a failing build instead of a finding in a review.
"""

from pathlib import Path

import app

APP = Path(app.__file__).parent
MAX_LINES = 500


def _modules() -> list[Path]:
    found = sorted(APP.rglob("*.py"))
    assert len(found) > 100, "the walk must see the whole package"
    return found


def test_no_module_of_app_is_longer_than_500_lines() -> None:
    too_long = {
        str(path.relative_to(APP)): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these modules (at most {MAX_LINES} lines): {too_long}"


def test_no_module_of_app_mentions_the_tests_dependency_overrides() -> None:
    # The tests adapt to the app: a module that inspects `dependency_overrides` behaves
    # differently under test than in production.
    mentions = [
        str(path.relative_to(APP))
        for path in _modules()
        if "dependency_overrides" in path.read_text(encoding="utf-8")
    ]
    assert mentions == []
