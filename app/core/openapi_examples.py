"""An example for every request body and answer of the OpenAPI document (issue 19, item 5).

Written once, from the schemas themselves, when the document is built: a value for each
required property (and for the first branch of a rule between fields, so the example obeys
``oneOf``/``anyOf`` rules of core/schema_rules), in the type, format, pattern, bounds and
enum the schema declares. Problem answers get a problem document of a code of their status
from the catalogue. tests/core/test_openapi_examples.py validates every example against its
schema, so an example can never contradict the contract it illustrates.
"""

from typing import Any, cast

from app.core.problems import CATALOGUE, ProblemCode

JsonSchema = dict[str, Any]
_MAX_DEPTH = 8

# Values that read like the domain for the properties that recur; the rest are derived.
_NAMED: dict[str, Any] = {
    "first_name": "Fatima",
    "last_name": "Jansen",
    "name_particle": "de",
    "name": "Jongerenwerk Noord",
    "title": "Omgaan met agressie aan de balie",
    "description": "Agressie herkennen, de-escaleren en nazorg bieden.",
    "notes": "Na incidenten wordt nog te weinig nagepraat.",
    "external_id": "T-JW-N",
    "location": "Servicepunt Centrum, zaal 2",
    "trainer": "Karin Mulder",
    "code": "de_escalation",
    "label_en": "De-escalation",
    "label_nl": "De-escaleren",
    "detail": "The request does not match the schema.",
    "message": "Managers are trained before their team.",
    "rule": "managers_first",
    "pointer": "/email",
    "q": "jansen",
    "audience": "api://veerkracht",
}
# Strings of the patterns the document declares (CURSOR_PATTERN, skill codes, ...).
_PATTERNS: dict[str, str] = {
    r"^[A-Za-z0-9_-]{22}$": "AZokVOUGcACNXdgRJrTDCA",
    r"^[a-z][a-z0-9_]*$": "de_escalation",
    r"^[!-~]+$": "6f1c0d2e-7f7b-4a53-9d8a-2b8f1f0c1a11",
}
_FORMATS: dict[str, str] = {
    "uuid": "01a24554-069d-7000-9859-d81126b4c308",
    "date": "2026-03-01",
    "date-time": "2026-03-01T09:00:00Z",
    "email": "f.jansen@welzijnoost.example",
    "uri-reference": "/problems/not-found",
    "uri": "https://hooks.welzijnoost.example/veerkracht",
    "binary": "personeelsnummer;voornaam;achternaam\n100201;Fatima;Jansen\n",
}
_URL = "https://hooks.welzijnoost.example/veerkracht"

# The problem code an example answer of each status shows.
_PROBLEM_CODES: dict[int, str] = {
    400: "bad-request",
    401: "missing-api-key",
    403: "insufficient-scope",
    404: "not-found",
    405: "method-not-allowed",
    409: "rule-violation",
    410: "gone",
    412: "etag-mismatch",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    500: "internal-error",
    503: "database-unavailable",
}


class _Examples:
    def __init__(self, document: JsonSchema) -> None:
        self.schemas: JsonSchema = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: JsonSchema) -> JsonSchema:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return dict(self.schemas.get(ref.rsplit("/", 1)[1], {}))
        return schema

    def value(self, schema: JsonSchema, name: str = "", depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if schema.get("examples"):  # the model's own (core/schema_rules.py)
            return schema["examples"][0]
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if key in schema and "type" not in schema and "properties" not in schema:
                options = [s for s in schema[key] if self.resolve(s).get("type") != "null"]
                return self.value(options[0] if options else schema[key][0], name, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            return self.object(schema, depth)
        if kind == "array":
            if depth >= _MAX_DEPTH:
                return []
            item = self.value(schema.get("items", {}), name, depth + 1)
            return [item] * max(1, min(schema.get("minItems", 1), 1))
        if kind == "string":
            return self.string(schema, name)
        if kind in ("integer", "number"):
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
            high = schema.get("maximum", schema.get("exclusiveMaximum", low + 2) - 1)
            number = max(low, min(high, 1 if kind == "integer" else 1.5))
            return int(number) if kind == "integer" else number
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return {}

    def string(self, schema: JsonSchema, name: str) -> str:
        pattern = schema.get("pattern")
        if pattern is not None:
            url = pattern.startswith(("^https?://", "^(https://"))
            return _PATTERNS.get(pattern, _URL if url else "x")
        fmt = schema.get("format")
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        text = str(_NAMED.get(name, name.replace("_", " ") or "text"))
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        text = text.ljust(low, "x")
        return text[:high] if high is not None else text

    def object(self, schema: JsonSchema, depth: int) -> JsonSchema:
        properties: JsonSchema = schema.get("properties", {})
        wanted = list(schema.get("required", []))
        # A rule between fields (core/schema_rules): follow its first branch.
        for rule in schema.get("allOf", []):
            for key in ("oneOf", "anyOf"):
                if key in rule:
                    first = rule[key][0]
                    wanted += first.get("required", [])
                    for branch in first.get("oneOf", [])[:1]:
                        wanted += branch.get("required", [])
        out: JsonSchema = {}
        if depth >= _MAX_DEPTH:
            return out
        for prop in dict.fromkeys(wanted):
            if prop in properties:
                out[prop] = self.value(properties[prop], prop, depth + 1)
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict):
            out["example"] = self.value(extra, "example", depth + 1)
        return out


def problem_example(status: int, path: str, schema_name: str) -> JsonSchema:
    """A problem document of ``status`` as the API answers it."""
    # /readyz answers its own 503 (not-ready), every other operation the database's.
    special = "not-ready" if (status, path) == (503, "/readyz") else None
    code = (
        special
        or _PROBLEM_CODES.get(status)
        or next((c for c, entry in CATALOGUE.items() if entry.status == status), "internal-error")
    )
    entry = CATALOGUE[cast(ProblemCode, code)]
    body: JsonSchema = {
        "type": f"/problems/{code}",
        "title": entry.title,
        "status": status,
        "detail": entry.explanation.split("\n")[0][:300],
        "instance": path,
        "code": code,
    }
    if schema_name == "InvalidProblem" or status == 422:
        body["errors"] = [{"pointer": "/email", "detail": "value is not a valid email address"}]
    if schema_name == "RefusalProblem" or status == 409:
        body["violations"] = [
            {"rule": "managers_first", "message": "Managers are trained before their team."}
        ]
    return body


def add_examples(document: JsonSchema) -> None:
    """Give every request body and answer of ``document`` an ``example`` it lacks."""
    examples = _Examples(document)
    for path, path_item in document.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            contents = [
                ("", c) for c in operation.get("requestBody", {}).get("content", {}).items()
            ]
            for status, response in operation["responses"].items():
                contents += [(status, c) for c in response.get("content", {}).items()]
            for status, (media_type, content) in contents:
                if "example" in content or "examples" in content:
                    continue
                schema = content.get("schema", {})
                if media_type == "application/problem+json":
                    name = str(schema.get("$ref", "")).rsplit("/", 1)[-1]
                    concrete = path.replace("{", "").replace("}", "")
                    content["example"] = problem_example(int(status), concrete, name)
                elif media_type == "text/csv":
                    content["example"] = _FORMATS["binary"]
                else:
                    content["example"] = examples.value(schema)
