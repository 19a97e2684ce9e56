"""render(schema, row, **derived): the one way a row becomes its public schema."""

from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from app.core.models import render


class _Public(BaseModel):
    name: str
    managers: int


@dataclass
class _Row:
    name: str
    team_managers: int


def test_fields_come_from_the_row_and_what_is_derived() -> None:
    assert render(_Public, _Row("Zuid", 2), managers=2) == _Public(name="Zuid", managers=2)


def test_a_derived_name_that_is_no_field_is_refused() -> None:
    # Misspelt ("manager"), it would be dropped and the field looked up on the row.
    with pytest.raises(TypeError, match="_Public has no field manager"):
        render(_Public, _Row("Zuid", 2), manager=2)
