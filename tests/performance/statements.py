"""Counting the SQL statements of one request, and saying which ones differ."""

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from tests.helpers import StatementCounter, count_statements


def measure(engine: Engine, db: Session, request: Callable[[], Any]) -> StatementCounter:
    """The statements of ``request()`` alone, starting from an empty identity map.

    The test's session is also the request's session: rows a test or an earlier request
    loaded would answer a lazy load without SQL and hide an N+1, so they are dropped first.
    """
    db.expunge_all()
    with count_statements(engine) as counter:
        request()
    return counter


def explain(a_label: str, a: StatementCounter, b_label: str, b: StatementCounter) -> str:
    """A failure message: both counts and the statements one run sent more often."""
    sa, sb = Counter(a.statements), Counter(b.statements)
    lines = [f"{a_label}: {a.count} statements, {b_label}: {b.count} statements"]
    for label, more in ((b_label, sb - sa), (a_label, sa - sb)):
        for statement, times in more.most_common(5):
            lines.append(
                f"  {label} sent {times} more time(s): {' '.join(statement.split())[:400]}"
            )
    return "\n".join(lines)
