"""Calendar arithmetic shared by the follow-up rules and the reports."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month end (31 Jan + 1: 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def today() -> date:
    """The current calendar day, the reference for "overdue" and "in the future"."""
    return date.today()
