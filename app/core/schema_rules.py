"""Rules between fields, said in the JSON schema as well as enforced by a validator.

A model validator ("give exactly one of a and b") is invisible to the OpenAPI document: a
client, or a generator of test data, reading the schema could send a body the schema
allows and get ``422``. These helpers write the same rule into the model's schema
(``json_schema_extra``), so the contract says what validation enforces (issue 19).

    model_config = ConfigDict(json_schema_extra=rules(exactly_one_of("a", "b")))
"""

from collections.abc import Callable
from itertools import combinations
from typing import Any

JsonSchema = dict[str, Any]
_NOT_NULL: JsonSchema = {"not": {"type": "null"}}


def _given(*fields: str) -> JsonSchema:
    """Every field present and not null."""
    return {"required": list(fields), "properties": dict.fromkeys(fields, _NOT_NULL)}


def exactly_one_of(*fields: str) -> JsonSchema:
    """Exactly one of ``fields`` is given (present and not null)."""
    return {"oneOf": [_given(f) for f in fields]}


def at_most_one_of(*fields: str) -> JsonSchema:
    """No two of ``fields`` are given together."""
    pairs = [_given(a, b) for a, b in combinations(fields, 2)]
    return {"not": pairs[0] if len(pairs) == 1 else {"anyOf": pairs}}


def none_or_exactly_one_of(*fields: str) -> JsonSchema:
    """A change names none of ``fields``, or exactly one of them with a value (PATCH)."""
    absent = {"not": {"anyOf": [{"required": [f], "properties": {f: {}}} for f in fields]}}
    return {"anyOf": [absent, exactly_one_of(*fields)]}


def given_unless(field: str, other: str, value: str) -> JsonSchema:
    """``field`` is given unless ``other`` is ``value`` (which supplies a default)."""
    return {
        "anyOf": [_given(field), {"required": [other], "properties": {other: {"const": value}}}]
    }


def not_given_when(field: str, other: str, value: str) -> JsonSchema:
    """``field`` is not given together with ``other`` set to ``value``."""
    both = {"required": [field, other], "properties": {field: _NOT_NULL, other: {"const": value}}}
    return {"not": both}


def rules(
    *constraints: JsonSchema, example: JsonSchema | None = None
) -> Callable[[JsonSchema], None]:
    """``json_schema_extra`` adding each constraint to the model's schema (under allOf).

    ``example``: a body that obeys them, where the rules are more than the document's
    example writer (core/openapi_examples.py, first branch of each rule) can satisfy.
    """

    def extra(schema: JsonSchema) -> None:
        schema.setdefault("allOf", []).extend(constraints)
        if example is not None:
            schema["examples"] = [example]

    return extra
