"""The shared corpus of hostile values (issue 10), as raw JSON text.

Raw JSON, because several of them cannot be written by ``json.dumps`` at all (``1e309``,
``NaN``, a lone surrogate escape, nesting deeper than Python's recursion limit).

``refuse``: no field may accept the value: the answer is 4xx and nothing is stored.
Otherwise the value is legitimate for some fields (an emoji in a name, a date in a text
field): the answer is 4xx with nothing stored, or 2xx with the value kept exactly.
"""

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    name: str
    raw: str
    refuse: bool

    @property
    def text(self) -> str | None:
        """The Python string the value decodes to, when it is a (valid) string."""
        try:
            value = json.loads(self.raw)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, str) else None


def _s(value: str) -> str:
    return json.dumps(value)


TEN_MB = Hostile("string of 10 MB", _s("a" * 10 * 1024 * 1024), refuse=True)
DEPTH = 100_000

CORPUS: list[Hostile] = [
    Hostile("NUL byte", _s("Sanne\x00Visser"), refuse=True),
    Hostile("only a NUL byte", _s("\x00"), refuse=True),
    Hostile("lone high surrogate", '"abc\\ud800"', refuse=True),
    Hostile("lone low surrogate", '"\\udc00xyz"', refuse=True),
    Hostile("reversed surrogate pair", '"\\ude00\\ud83d"', refuse=True),
    Hostile("deeply nested array", "[" * DEPTH + "]" * DEPTH, refuse=True),
    Hostile("deeply nested object", '{"a":' * 5_000 + "1" + "}" * 5_000, refuse=True),
    Hostile("1e309 (infinity)", "1e309", refuse=True),
    Hostile("-1e309", "-1e309", refuse=True),
    Hostile("NaN literal", "NaN", refuse=True),
    Hostile("Infinity literal", "Infinity", refuse=True),
    Hostile("2^63", "9223372036854775808", refuse=True),
    Hostile("30-digit integer", "-123456789012345678901234567890", refuse=True),
    Hostile("5000-digit integer", "9" * 5000, refuse=True),
    Hostile("emoji", _s("Sanne 😀👩🏽‍🚒🇳🇱"), refuse=False),
    Hostile(
        "right-to-left override",
        _s("\u202eSanne\u202c \u200f\u05d1\u05d3\u05d9\u05e7\u05d4\u200e"),
        refuse=False,
    ),
    Hostile("zero-width and combining", _s("Z\u0351\u0336a\u200bl\ufeffgo"), refuse=False),
    Hostile("SQL metacharacters", _s("'; DROP TABLE employee; -- \" OR 1=1 /*"), refuse=False),
    Hostile(
        "HTML/script", _s("<script>alert('x')</script><img src=x onerror=alert(1)>"), refuse=False
    ),
    Hostile(
        "format string and path", _s("%s%n%x {0} ${jndi:ldap://x} ../../etc/passwd"), refuse=False
    ),
    Hostile("impossible date", _s("2026-02-30"), refuse=False),
    Hostile("impossible date-time", _s("2026-13-01T25:61:61Z"), refuse=False),
    Hostile("year 0", _s("0000-01-01"), refuse=False),
    Hostile("empty string", _s(""), refuse=False),
    Hostile("whitespace only", _s(" \t\n "), refuse=False),
    Hostile("integer for anything", "42", refuse=False),
    Hostile("negative integer", "-1", refuse=False),
    Hostile("float", "0.1", refuse=False),
    Hostile("boolean", "true", refuse=False),
    Hostile("null", "null", refuse=False),
    Hostile("object", '{"$ne": null}', refuse=False),
    Hostile("array", '["a", 1, null]', refuse=False),
    Hostile("not a uuid", _s("00000000-0000-0000-0000-00000000000g"), refuse=False),
    Hostile("nil uuid", _s("00000000-0000-0000-0000-000000000000"), refuse=False),
]
