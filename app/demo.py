"""The demo organisation: realistic Dutch teams, function groups and people.

Each domain adds its part (``app/<domain>/demo.py``: ``seed(session, ctx)``), in the order
of the method: norms and protocol, learning goals, trainings, follow-up.
"""

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from app.core.tenancy import bind_organisation
from app.domains import register_domains
from app.organisation import service
from app.organisation.models import Employee, FunctionGroup, Organisation, Role, Team, TeamManager

ORG_NAME = "Stichting Jeugd & Welzijn Oost (demo)"

FIRST_NAMES = [
    "Sanne",
    "Daan",
    "Fatima",
    "Mohamed",
    "Lotte",
    "Bram",
    "Emma",
    "Jesse",
    "Noor",
    "Thijs",
    "Anouk",
    "Ruben",
    "Yara",
    "Sem",
    "Iris",
    "Lucas",
    "Fleur",
    "Milan",
    "Sophie",
    "Levi",
    "Esra",
    "Tim",
    "Mirjam",
    "Youssef",
    "Daniëlle",
    "Gülşen",
    "Renée",
    "Sjoerd",
    "Anneke",
    "Kevin",
    "Naima",
    "Joris",
    "Marloes",
    "Hasan",
    "Ilse",
    "Wouter",
    "Priya",
    "Gijs",
]
# Surnames that take a tussenvoegsel, each with its own (no "de Yilmaz"), for roughly a
# quarter of the people; the others have none.
WITH_PARTICLE = [
    ("de", "Vries"),
    ("van", "Dijk"),
    ("van der", "Berg"),
    ("van den", "Heuvel"),
    ("de", "Boer"),
    ("van", "Leeuwen"),
    ("de", "Wit"),
    ("van der", "Linden"),
    ("van", "Wijk"),
    ("de", "Groot"),
    ("van der", "Meer"),
    ("van", "Vliet"),
    ("ter", "Horst"),
    ("van 't", "Hof"),
]
LAST_NAMES = [
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Brouwer",
    "Dijkstra",
    "Hoekstra",
    "Kaya",
    "El Idrissi",
    "Yilmaz",
    "Bouzid",
    "Kramer",
    "Postma",
    "Veenstra",
    "Sarmo",
    "Koster",
    "Öztürk",
    "Ramdin",
    "Tahiri",
    "Wouters",
    "Verhoeven",
]
PARTICLE_SHARE = 0.25

# (external id, name, likelihood, impact, set of comparable function groups): youth care,
# from a low-exposure back office to the living groups of residential care (very high).
# Jongerenwerkers and ambulant hulpverleners (moderate and high) are trained together: their
# work is alike (issue 20, item 6); the others compare by exposure level.
FUNCTION_GROUPS = [
    ("FG-REC", "Backoffice en receptie", 1, 2, None),
    ("FG-JW", "Jongerenwerker", 3, 3, "ambulant jeugd"),
    ("FG-SHV", "Gezinsvoogd", 3, 4, None),
    ("FG-AB", "Ambulant hulpverlener", 4, 3, "ambulant jeugd"),
    ("FG-CRI", "Groepsleider en woonbegeleider", 5, 4, None),
]
# (external id, name, function group, size); each team has a teamleider (team_manager).
TEAMS = [
    ("T-REC", "Backoffice en receptie", "FG-REC", 10),
    ("T-JW-N", "Jongerenwerk Noord", "FG-JW", 14),
    ("T-JW-Z", "Jongerenwerk Zuid", "FG-JW", 13),
    ("T-SHV", "Jeugdbescherming West", "FG-SHV", 15),
    ("T-AB-W", "Ambulante jeugdhulp West", "FG-AB", 16),
    ("T-AB-O", "Ambulante jeugdhulp Oost", "FG-AB", 16),
    ("T-CRI", "Leefgroep De Horizon", "FG-CRI", 12),
    ("T-MW", "Jeugdbescherming Oost", "FG-SHV", 14),
]


@dataclass
class DemoContext:
    """What the core demo created, for the domains to build on."""

    org: Organisation
    admin_key: str
    teams: dict[str, Team]
    function_groups: dict[str, FunctionGroup]
    senior_management: list[Employee]
    managers: dict[str, Employee]
    staff: dict[str, list[Employee]]
    rng: random.Random
    notes: list[str] = field(default_factory=list)
    # What a domain's seed leaves for the next one (e.g. programmes for follow-up).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def all_employees(self) -> list[Employee]:
        staff = [e for members in self.staff.values() for e in members]
        return [*self.senior_management, *self.managers.values(), *staff]


def dutch_name(rng: random.Random) -> tuple[str, str | None, str]:
    """First name, tussenvoegsel (or None) and surname, the tussenvoegsel only with a surname
    that takes it (the demo's and the benchmarks' people)."""
    first = rng.choice(FIRST_NAMES)
    if rng.random() < PARTICLE_SHARE:
        particle, last = rng.choice(WITH_PARTICLE)
        return first, particle, last
    return first, None, rng.choice(LAST_NAMES)


def _person(rng: random.Random, n: int, role: Role, **kw: object) -> Employee:
    first, particle, last = dutch_name(rng)
    local = f"{first[0]}.{(particle or '').replace(' ', '').replace(chr(39), '')}{last}".lower()
    local = local.replace(" ", "").encode("ascii", "ignore").decode()
    return Employee(
        external_id=f"{100200 + n}",
        first_name=first,
        name_particle=particle,
        last_name=last,
        email=f"{local}{n}@welzijnoost.example",
        role=role,
        started_on=date(2010 + n % 14, 1 + n % 12, 1),
        **kw,  # type: ignore[arg-type]
    )


def create_demo(db: Session) -> DemoContext:
    """Create the demo organisation and let every domain add its part."""
    # Seeded on purpose: the same demo every time. Keys come from `secrets` (core/auth.py).
    rng = random.Random(20261128)  # nosec B311
    # Built through the services, like any script: the hooks (seed skills, ...) first.
    register_domains()
    org, key = service.create_organisation(db, name=ORG_NAME)
    bind_organisation(db, org.id)
    fgs = {}
    for ext, name, likelihood, impact, comparable_group in FUNCTION_GROUPS:
        fg = FunctionGroup(
            name=name,
            external_id=ext,
            likelihood=likelihood,
            impact=impact,
            comparable_group=comparable_group,
            risk_assessed_on=date(2024, 3, 1) if ext != "FG-REC" else date(2021, 5, 1),
        )
        db.add(fg)
        fgs[ext] = fg
    n = 0
    seniors = []
    for _ in range(2):
        n += 1
        seniors.append(_person(rng, n, Role.senior_management))
    db.add_all(seniors)
    teams, managers, staff = {}, {}, {}
    for ext, name, fg_ext, size in TEAMS:
        team = Team(name=name, external_id=ext)
        db.add(team)
        db.flush()
        teams[ext] = team
        n += 1
        manager = _person(
            rng, n, Role.team_manager, team_id=team.id, function_group_id=fgs[fg_ext].id
        )
        db.add(manager)
        managers[ext] = manager
        members = []
        for _ in range(size):
            n += 1
            members.append(
                _person(rng, n, Role.employee, team_id=team.id, function_group_id=fgs[fg_ext].id)
            )
        db.add_all(members)
        staff[ext] = members
        db.flush()
        db.add(TeamManager(team_id=team.id, employee_id=manager.id, organisation_id=org.id))
    db.flush()
    ctx = DemoContext(
        org=org,
        admin_key=key,
        teams=teams,
        function_groups=fgs,
        senior_management=seniors,
        managers=managers,
        staff=staff,
        rng=rng,
    )
    for seed in _domain_seeds():
        seed(db, ctx)
        db.flush()
    return ctx


def _domain_seeds() -> list:  # type: ignore[type-arg]
    from app.followup import demo as followup_demo
    from app.identity import demo as identity_demo
    from app.incidents import demo as incidents_demo
    from app.learning import demo as learning_demo
    from app.policy import demo as policy_demo
    from app.training import demo as training_demo
    from app.training import method_demo

    return [
        policy_demo.seed,
        learning_demo.seed,
        training_demo.seed,
        incidents_demo.seed,
        followup_demo.seed,
        method_demo.seed,
        identity_demo.seed,
    ]


# The address the domains' demo notes are written for (cli.py's --base-url default).
NOTES_BASE_URL = "http://127.0.0.1:8000"


def instructions(ctx: DemoContext, *, base_url: str) -> str:
    """What to print after creating the demo: the key and calls that work."""
    team = ctx.teams["T-JW-N"]
    auth = f'-H "Authorization: Bearer {ctx.admin_key}"'
    lines = [
        f"Demo organisation '{ctx.org.name}' created: {len(ctx.teams)} teams, "
        f"{len(ctx.function_groups)} function groups, {len(ctx.all_employees)} employees.",
        f"Admin API key (shown once): {ctx.admin_key}",
        "",
        f"API docs: {base_url}/docs",
        "Try:",
        f"  curl -s {auth} {base_url}/v1/organisation",
        f"  curl -s {auth} '{base_url}/v1/function-groups'",
        f"  curl -s {auth} '{base_url}/v1/employees?team_id={team.id}&limit=5'",
        # The domains write their calls against the default address; the printed calls
        # must work for the address serve really uses (./dev up --port 9000).
        *(note.replace(NOTES_BASE_URL, base_url) for note in ctx.notes),
    ]
    return "\n".join(lines)
