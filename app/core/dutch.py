"""Dutch CSV: the one translation table for every export and CSV report (issue 19).

English stays the default for machines; ``Accept-Language: nl`` or ``?lang=nl`` asks for
Dutch (``csv_language``). In Dutch, ``app/core/csv.py`` writes each header and each coded
value (an enum member, or a cell of a column listed in ``CODED``) with ``WORDS``, yes/no
as ``ja``/``nee``, decimals with a comma and dates as DD-MM-YYYY. The words of the import
kinds are ones their import accepts, so a Dutch export goes back in as it is.
A new header or coded value without a word here fails tests/reports/test_dutch_csv.py.
"""

from typing import Annotated, Literal

from fastapi import Depends, Query
from starlette.requests import Request

from app.core.problems import preferred_language

CsvLanguage = Literal["en", "nl"]

# English identifier (header, enum value, report figure) -> Dutch.
WORDS: dict[str, str] = {
    # people, teams, function groups
    "external_id": "extern id",
    "employee_id": "medewerker-id",
    "employee_name": "medewerker",
    "employee_external_id": "personeelsnummer",
    "first_name": "roepnaam",
    "name_particle": "tussenvoegsel",
    "last_name": "achternaam",
    "full_name": "naam",
    "email": "e-mail",
    "team": "team",
    "team_id": "team-id",
    "team_name": "teamnaam",
    "team_external_id": "team",
    "function_group": "functiegroep",
    "function_group_id": "functiegroep-id",
    "function_group_name": "functiegroep",
    "function_group_external_id": "functiegroep",
    "function": "functie",
    "role": "rol",
    "manager_external_id": "leidinggevende",
    "manager_external_ids": "leidinggevenden",
    "active": "actief",
    "started_on": "in dienst",
    "ended_on": "datum uit dienst",
    "name": "naam",
    "description": "omschrijving",
    "likelihood": "kans",
    "impact": "effect",
    "risk_assessed_on": "risicoanalyse",
    "comparable_group": "functiecluster",
    "employee": "medewerker",
    "team_manager": "leidinggevende",
    "senior_management": "directie",
    # training
    "title": "titel",
    "provider": "aanbieder",
    "audience": "doelgroep",
    "management": "leidinggevenden",
    "staff": "medewerkers",
    "mixed": "gemengd",
    "min_exposure_level": "minimaal blootstellingsniveau",
    "max_exposure_level": "maximaal blootstellingsniveau",
    "low": "laag",
    "moderate": "matig",
    "high": "hoog",
    "very_high": "zeer hoog",
    "format": "vorm",
    "duration_hours": "duur",
    "max_group_size": "groepsgrootte",
    "refresher_months": "opfrissen na maanden",
    "physical_safety": "fysieke veiligheid",
    "skill_codes": "vaardigheden",
    "skill_code": "vaardigheid",
    "program": "programma",
    "program_id": "programma-id",
    "program_title": "programma",
    "completed_on": "afgerond op",
    "due_on": "vervalt op",
    "overdue": "te laat",
    # goals
    "target_on": "streefdatum",
    "status": "status",
    "achieved": "behaald",
    "archived": "gearchiveerd",
    "draft": "concept",
    "agreed": "afgesproken",
    "dropped": "vervallen",
    # incidents
    "occurred_on": "datum",
    "occurred_time": "tijd",
    "norm": "norm",
    "category": "categorie",
    "severity": "ernst",
    "police_informed": "politie ingelicht",
    "affected": "betrokkenen",
    "witnesses": "getuigen",
    "verbal_aggression": "verbale agressie",
    "threat": "bedreiging",
    "intimidation": "intimidatie",
    "discrimination": "discriminatie",
    "damage_to_property": "vernieling",
    "physical": "fysieke agressie",
    "month": "maand",
    "incidents": "incidenten",
    "red": "rood",
    "due": "te doen",
    "on_time": "op tijd",
    "late": "te laat",
    "declined": "afgeslagen",
    "compliance_pct": "op tijd %",
    # risk assessments in the overview (issue 20)
    "risk_assessments": "risico-inventarisaties",
    "function_groups": "functiegroepen",
    "valid_years": "geldig (jaren)",
    # protocol readiness
    "protocol_ready": "protocol bekend",
    "ready_via": "bekend via",
    "protocol_version": "protocolversie",
    "acknowledged": "gelezen",
    "team_discussion": "teambespreking",
    # import mappings
    "kind": "soort",
    "value": "waarde",
    "target": "doel",
    # reports (teams report columns, overview sections and figures)
    "section": "onderdeel",
    "figure": "cijfer",
    "scope": "bereik",
    "report": "rapport",
    "generated_on": "opgesteld op",
    "teams": "teams",
    "active_employees": "actieve medewerkers",
    "protocol_ready_pct": "protocol bekend %",
    "managers": "leidinggevenden",
    "managers_trained": "leidinggevenden getraind",
    "staff_trained_before_managers": "medewerkers getraind voor leidinggevenden",
    "any_staff_trained_before_managers": "medewerkers getraind voor leidinggevenden (ja/nee)",
    "active_team_goals": "actieve teamdoelen",
    "personal_goals_aligned": "persoonlijke doelen passend",
    "personal_goals_unaligned": "persoonlijke doelen niet passend",
    "skill_needs": "vaardigheidsbehoeften",
    "skill_needs_current": "vaardigheidsbehoeften actueel",
    "training_coverage": "trainingsdekking",
    "training_coverage_pct": "trainingsdekking %",
    "refreshers_due": "opfrissers nodig",
    "follow_up": "opvolging",
    "follow_up_open": "actiepunten open",
    "follow_up_overdue": "actiepunten te laat",
    "last_review_on": "laatste evaluatie",
    "next_review_on": "volgende evaluatie",
    "last_training_on": "laatste training",
    "review_overdue": "evaluatie te laat",
    "meetings": "teamoverleggen",
    "meetings_with_item": "overleggen met agendapunt",
    "meetings_with_item_pct": "overleggen met agendapunt %",
    "lacks_item_in_last_meetings": "agendapunt ontbreekt in laatste overleggen",
    "hrm_theme": "hrm-thema",
    "hrm_theme_covered": "hrm-thema besproken",
    "hrm_theme_covered_pct": "hrm-thema besproken %",
    "last_theme_conversation_on": "laatste gesprek over het thema",
    "protocol_readiness": "protocolkennis",
    "protocol_id": "protocol-id",
    "ready": "bekend",
    "ready_pct": "bekend %",
    "trained": "getraind",
    "trained_pct": "getraind %",
    "goals": "doelen",
    "teams_with_active_goals": "teams met actieve doelen",
    "teams_with_active_goals_pct": "teams met actieve doelen %",
    "within_days": "binnen dagen",
    "employees": "medewerkers",
    "trainings": "trainingen",
    "open": "open",
    "practice_reviews": "praktijkevaluaties",
    "teams_with_training": "teams met training",
    "teams_overdue": "teams te laat",
    "period_from": "periode van",
    "period_to": "periode tot",
    "with_item": "met agendapunt",
    "with_item_pct": "met agendapunt %",
    "threshold": "drempel",
    "teams_lacking_item": "teams zonder agendapunt",
    "covered": "besproken",
    "covered_pct": "besproken %",
    "not_covered": "niet besproken",
    "current": "actueel",
    "current_pct": "actueel %",
}

# Headers of an import kind's Dutch export that differ from WORDS: the name its import
# takes first for that column (function groups and teams have codes, not "extern id").
KIND_HEADERS: dict[str, dict[str, str]] = {
    "function-groups": {"external_id": "code", "name": "functiegroep"},
    "teams": {"external_id": "teamcode", "name": "teamnaam"},
    "employees": {"external_id": "personeelsnummer"},
    "training-programs": {"external_id": "code"},
    "team-goals": {"description": "doel"},
    "personal-goals": {"description": "leerdoel"},
    # Affected as "getroffen" (the import's own word), not WORDS' "betrokkenen": the import
    # also takes each export header (app/imports/parsing.py), and a reporting system's
    # "Betrokkenen" lists witnesses too, who would then be read as affected (aftercare).
    "incidents": {"external_id": "meldingsnummer", "affected": "getroffen"},
}

# Columns whose text cells are identifiers (enum values, figure names): translated too.
CODED = frozenset(
    {
        "role",
        "audience",
        "min_exposure_level",
        "max_exposure_level",
        "status",
        "category",
        "kind",
        "section",
        "figure",
        "ready_via",
    }
)


async def _lang_query(
    lang: Annotated[
        CsvLanguage | None,
        Query(
            description="CSV only: `nl` for Dutch headers and values (decimal comma, "
            "DD-MM-YYYY, ja/nee); `en` (the default) for identifiers. `Accept-Language: nl` "
            "asks the same."
        ),
    ] = None,
) -> None:
    """Declares ``?lang=`` on a CSV route (read by ``csv_language``)."""


# ``dependencies=[CsvLanguageQuery]`` on every route that answers CSV.
CsvLanguageQuery = Depends(_lang_query)


def csv_language(request: Request) -> CsvLanguage:
    """``?lang=nl`` (or ``en``), else the ``Accept-Language`` header; English by default."""
    asked = request.query_params.get("lang", "").strip().lower()
    if asked in ("nl", "en"):
        return "nl" if asked == "nl" else "en"
    return "nl" if preferred_language(request.headers.get("accept-language")) == "nl" else "en"


def header_nl(name: str, kind: str | None = None) -> str:
    """The Dutch header for a column (``kind``: an import kind's own names first)."""
    if kind is not None and name in KIND_HEADERS.get(kind, {}):
        return KIND_HEADERS[kind][name]
    return WORDS.get(name, name.replace("_", " "))


def word_nl(value: str) -> str:
    """The Dutch word for an identifier, or the identifier when it has none."""
    return WORDS.get(value, value)
