"""The shared query helpers: list filters and IN-list chunks."""

from sqlmodel import select

from app.core.queries import chunks, unique_chunks, where_given, where_range
from app.organisation.models import Employee


def test_where_given_skips_omitted_filters() -> None:
    stmt = where_given(select(Employee), Employee, team_id=None, active=True, role=None)
    sql = str(stmt.compile(compile_kwargs={"literal_binds": True}))
    assert "employee.active" in sql
    assert "team_id" not in sql.split("WHERE", 1)[1]
    assert "role" not in sql.split("WHERE", 1)[1]


def test_where_given_without_filters_leaves_the_statement_alone() -> None:
    stmt = select(Employee)
    assert where_given(stmt, Employee, team_id=None) is stmt
    assert where_range(stmt, Employee.created_at) is stmt


def test_where_range_bounds() -> None:
    stmt = where_range(select(Employee), Employee.first_name, at_least="a", below="m", at_most="k")
    where = str(stmt.compile(compile_kwargs={"literal_binds": True})).split("WHERE", 1)[1]
    assert ">= 'a'" in where and "< 'm'" in where and "<= 'k'" in where


def test_chunks() -> None:
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(unique_chunks([3, 1, 3, 2, 1], 2)) == [[3, 1], [2]]
    assert list(unique_chunks([])) == []
