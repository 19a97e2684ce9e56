"""Calendar arithmetic shared by every domain (refreshers, review intervals, reports)."""

import calendar
from datetime import MAXYEAR, MINYEAR, date


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month end (31 Jan + 1: 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not MINYEAR <= year <= MAXYEAR:
        # Only reachable from input at the edge of the calendar: answered 422 (core/errors).
        raise OverflowError(f"{day} plus {months} months is outside the calendar")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
