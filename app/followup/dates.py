"""Calendar arithmetic shared by the follow-up rules and the reports."""

from datetime import date, timedelta

from app.core.dates import add_months


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
