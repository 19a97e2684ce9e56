"""Calendar days and arithmetic shared by every domain (refreshers, reviews, reports).

Dates (fields ending `_on`) are calendar days in the Netherlands, where every organisation
using the service works: a meeting held at 00:30 in Amsterdam was held "today", although
the UTC day is still yesterday. Instants (`_at`) stay UTC; ``day_of`` turns one into the
Dutch calendar day it falls on, and ``today`` is that day for now. Every "today" of the
service (in the future, overdue, current, report periods) is this one function.
"""

import calendar
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.core.errors import InvalidInput
from app.core.models import utcnow

# The tz database comes with the `tzdata` package where the system has none (slim images).
CALENDAR_ZONE = ZoneInfo("Europe/Amsterdam")


def day_of(at: datetime) -> date:
    """The calendar day in the Netherlands on which the (timezone-aware) instant falls."""
    return at.astimezone(CALENDAR_ZONE).date()


def start_of(day: date, *, next_day: bool = False) -> datetime:
    """The instant a Dutch calendar day starts (or the next one, for an inclusive end): a
    day compared with instants is the Dutch day, never the UTC one."""
    if next_day:
        day = day + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=CALENDAR_ZONE)


def rfc3339(at: datetime) -> str:
    """An instant as every body writes it: UTC with ``Z``, as pydantic writes a datetime.

    For instants put into text or free-form details (a violation's ``earliest_start_at``),
    which pydantic does not serialise: ``isoformat()`` would write ``+00:00`` there.
    """
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def today() -> date:
    """The current calendar day in the Netherlands (Europe/Amsterdam)."""
    return day_of(utcnow())


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month end (31 Jan + 1: 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not MINYEAR <= year <= MAXYEAR:
        # Only reachable from input at the edge of the calendar: answered 422 (core/errors).
        raise OverflowError(f"{day} plus {months} months is outside the calendar")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def report_period(
    period_from: date | None, period_to: date | None, *, today: date, months: int = 12
) -> tuple[date, date]:
    """The period a report covers: as asked, by default the ``months`` up to today.

    Refused (422 ``invalid-period``) when it would end before it starts, also when one
    bound is left to its default (``period_from`` after today).
    """
    end = period_to or today
    start = period_from or add_months(end, -months)
    if start > end:
        raise InvalidInput(
            "period_from must not be after period_to"
            + ("" if period_to else f" (by default today, {end.isoformat()})")
            + ".",
            code="invalid-period",
            errors=[{"pointer": "/query/period_from", "detail": "after period_to"}],
        )
    return start, end
