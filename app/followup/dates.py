"""Calendar rules shared by the follow-up resources and the reports."""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import ClassVar

from pydantic import Field

from app.core.dates import add_months
from app.core.errors import InvalidInput
from app.core.listing import ListFilters


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


def refuse_if_in_future(held_on: date, today: date) -> None:
    """422 for a review, meeting or conversation dated after ``today``."""
    # One is recorded once held; plans live elsewhere.
    if held_on > today:
        raise InvalidInput(
            f"held_on {held_on.isoformat()} is in the future; record it once it was held.",
            code="held-on-in-future",
            errors=[{"pointer": "/held_on", "detail": "must not be in the future"}],
        )


class HeldFilters(ListFilters):
    """The period filter of every follow-up list of held things (reviews, meetings, talks)."""

    ranges: ClassVar[Mapping[str, str]] = {"held": "held_on"}

    held_from: date | None = Field(default=None, description="Held on or after this date.")
    held_to: date | None = Field(default=None, description="Held on or before this date.")
