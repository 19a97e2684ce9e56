"""Calendar arithmetic shared by the follow-up rules and the reports."""

import calendar
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, timedelta


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month end (31 Jan + 1: 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not MINYEAR <= year <= MAXYEAR:
        # Only reachable from input at the edge of the calendar: answered 422 (core/errors).
        raise OverflowError(f"{day} plus {months} months is outside the calendar")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def today() -> date:
    """The current UTC calendar day, the reference for "overdue" and "in the future"."""
    return datetime.now(UTC).date()


def current_since(months: int, day: date) -> date:
    """The earliest start whose ``add_months(start, months)`` is still after ``day``.

    ``add_months`` never decreases, so "start + months > day" is exactly "start >= this
    date": a plain date comparison the database can run (and index) on every dialect.
    """
    start = add_months(day, -months)
    # Month-end clamping makes add_months flat for a few days: step to the exact edge.
    while add_months(start, months) > day:
        start -= timedelta(days=1)
    while add_months(start, months) <= day:
        start += timedelta(days=1)
    return start
