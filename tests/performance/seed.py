"""Many rows fast, for the statement-count tests: Core inserts on the test's connection.

The rows bypass the ORM (no audit events, nothing left in the identity map) and are
rolled back with the test. Every row gets its OWN related rows (its own team, manager,
skills, sections, ...): a query per row for a related row then shows up as more
statements for a bigger page, instead of hiding behind one shared, cached parent.
"""

import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from app.audit.models import AuditEvent
from app.core.dates import add_months
from app.core.ids import uuid7
from app.core.models import utcnow
from app.followup.models import (
    FollowUpItem,
    HrmConversation,
    HrmConversationGoal,
    PracticeReview,
    PracticeReviewParticipant,
    PracticeReviewRating,
    TeamMeeting,
    TeamMeetingAgendaItem,
)
from app.identity.models import IdentityProvider, User
from app.imports.cells import normalise_header
from app.imports.models import ImportMapping
from app.incidents.models import Aftercare, Incident, IncidentEmployee
from app.learning.models import FunctionGroupNeed, PersonalGoal, Skill, TeamGoal, TeamGoalNorm
from app.learning.organisation_goals import OrganisationGoal
from app.organisation.models import ApiKey, Employee, FunctionGroup, Team, TeamManager
from app.policy.models import (
    Norm,
    Protocol,
    ProtocolAcknowledgement,
    ProtocolNorm,
    ProtocolSection,
    TeamDiscussion,
)
from app.policy.protocols import TEAM_MEMBERS_TOOK_PART
from app.selection.models import TrainingPlan
from app.training.method_models import GoalProgress, TrainingEvaluation, TrainingReflection
from app.training.models import (
    Enrolment,
    ProgramSkill,
    TrainingCompletion,
    TrainingProgram,
    TrainingSession,
)
from app.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.reliability.registry import World

_seq = itertools.count(1)
Ids = list[uuid.UUID]


def _today() -> date:
    return date.today()


@dataclass
class Participants:
    """Participants of sessions: the i-th of each list belong together (employee, their
    personal goal on the programme's skill, the programme, the session, the enrolment)."""

    employees: Ids
    goals: Ids
    skills: Ids
    programs: Ids
    sessions: Ids
    enrolments: Ids


class Bulk:
    """Inserts rows of one organisation with ``executemany``; returns their ids."""

    def __init__(self, db: Session, organisation_id: uuid.UUID) -> None:
        self.db = db
        self.org_id = organisation_id

    def insert(self, model: type[SQLModel], rows: Iterable[Mapping[str, Any]]) -> Ids:
        """Stamp id, organisation and timestamps where the table has them; insert."""
        table: sa.Table = model.__table__  # type: ignore[attr-defined]
        now = utcnow()
        stamped = []
        for row in rows:
            full = dict(row)
            if "id" in table.c:
                full.setdefault("id", uuid7())
            if "organisation_id" in table.c:
                full.setdefault("organisation_id", self.org_id)
            for column in ("created_at", "updated_at"):
                if column in table.c:
                    full.setdefault(column, now)
            stamped.append(full)
        if stamped:
            self.db.connection().execute(sa.insert(table), stamped)
        return [r["id"] for r in stamped if "id" in r]

    # --- building blocks: n rows, each with its own parents ---------------------------

    def teams(self, n: int) -> Ids:
        return self.insert(
            Team, ({"name": f"Team {k}", "external_id": f"T-{k}"} for k in _fresh(n))
        )

    def function_groups(self, n: int, *, skills: Ids | None = None) -> Ids:
        """n function groups, the i-th needing skills i and i+1 of ``skills``."""
        ids = self.insert(
            FunctionGroup,
            (
                {
                    "name": f"Functiegroep {k}",
                    "external_id": f"FG-{k}",
                    "likelihood": 1 + i % 5,
                    "impact": 1 + (i // 5) % 5,
                    "custom_needs": skills is not None,
                }
                for i, k in enumerate(_fresh(n))
            ),
        )
        if skills:
            self.insert(
                FunctionGroupNeed,
                (
                    {"function_group_id": fg, "skill_id": skills[(i + k) % len(skills)]}
                    for i, fg in enumerate(ids)
                    for k in range(min(2, len(skills)))
                ),
            )
        return ids

    def employees(
        self,
        n: int,
        *,
        teams: Ids | None = None,
        function_groups: Ids | None = None,
        role: str = "employee",
    ) -> Ids:
        """n employees; the i-th in ``teams[i % len]`` and ``function_groups[i % len]``."""
        return self.insert(
            Employee,
            (
                {
                    "external_id": f"E-{k}",
                    "first_name": "Sanne",
                    "name_particle": "de",
                    "last_name": f"Vries {k}",
                    "email": f"medewerker{k}@perf.example",
                    "team_id": teams[i % len(teams)] if teams else None,
                    "function_group_id": (
                        function_groups[i % len(function_groups)] if function_groups else None
                    ),
                    "role": role,
                    "started_on": date(2015, 1, 1),
                }
                for i, k in enumerate(_fresh(n))
            ),
        )

    def managed_teams(self, n: int) -> tuple[Ids, Ids]:
        """n teams, each with its own team manager (who is also a member)."""
        teams = self.teams(n)
        managers = self.employees(n, teams=teams, role="team_manager")
        self.insert(
            TeamManager,
            ({"team_id": t, "employee_id": m} for t, m in zip(teams, managers, strict=True)),
        )
        return teams, managers

    def skills(self, n: int) -> Ids:
        return self.insert(
            Skill,
            (
                {"code": f"perf_{k}", "label_nl": f"Vaardigheid {k}", "label_en": f"Skill {k}"}
                for k in _fresh(n)
            ),
        )

    def builtin_skills(self) -> Ids:
        """The organisation's nine seed skills."""
        rows = self.db.connection().execute(
            sa.select(Skill.__table__.c.id)  # type: ignore[attr-defined]
            .where(Skill.__table__.c.organisation_id == self.org_id)  # type: ignore[attr-defined]
            .where(Skill.__table__.c.builtin.is_(True))  # type: ignore[attr-defined]
            .order_by(Skill.__table__.c.code)  # type: ignore[attr-defined]
        )
        return [r[0] for r in rows]

    def incidents(self, teams: Ids, employees: Ids, function_groups: Ids) -> Ids:
        """One incident per team (its own red norm), the i-th employee affected, with both
        steps of aftercare (the first given, the second still pending)."""
        norms = self.insert(
            Norm, ({"title": f"Norm {k}", "level": "red"} for k in _fresh(len(teams)))
        )
        occurred = utcnow() - timedelta(days=20)
        ids = self.insert(
            Incident,
            (
                {
                    "external_id": f"M-{k}",
                    "occurred_at": occurred,
                    "team_id": teams[i],
                    "function_group_id": function_groups[i % len(function_groups)],
                    "norm_id": norms[i],
                    "norm_level": "red",
                    "category": "physical",
                    "severity": 3,
                    "police_informed": False,
                    "description": "Geduwd bij de balie.",
                }
                for i, k in enumerate(_fresh(len(teams)))
            ),
        )
        self.insert(
            IncidentEmployee,
            (
                {"incident_id": incident, "employee_id": employees[i], "involvement": "affected"}
                for i, incident in enumerate(ids)
            ),
        )
        day = _today() - timedelta(days=20)
        self.insert(
            Aftercare,
            (
                {
                    "incident_id": incident,
                    "employee_id": employees[i],
                    "kind": kind,
                    "due_on": day + timedelta(days=days),
                    "status": status,
                    "recorded_on": day if status == "given" else None,
                }
                for i, incident in enumerate(ids)
                for kind, days, status in (
                    ("first_care", 0, "given"),
                    ("follow_up_conversation", 7, "pending"),
                )
            ),
        )
        return ids

    def norms(self, n: int, *, teams: Ids | None = None) -> Ids:
        return self.insert(
            Norm,
            (
                {
                    "title": f"Norm {k}",
                    "level": ("green", "orange", "red")[i % 3],
                    "team_id": teams[i % len(teams)] if teams else None,
                }
                for i, k in enumerate(_fresh(n))
            ),
        )

    def protocols(self, n: int, *, first_version: int = 1, published: bool = False) -> Ids:
        """n protocol versions, each with two sections and its own norm; with
        ``published`` the last one is the current published version."""
        ids = self.insert(
            Protocol,
            (
                {
                    "title": "Agressieprotocol",
                    "version": first_version + i,
                    "summary": "Afspraken",
                    "status": "published" if published and i == n - 1 else "draft",
                    "published_at": utcnow() - timedelta(days=200)
                    if published and i == n - 1
                    else None,
                }
                for i in range(n)
            ),
        )
        self.insert(
            ProtocolSection,
            (
                {
                    "protocol_id": p,
                    "position": pos,
                    "kind": kind,
                    "title": f"Pijler {pos + 1}",
                    "body": "Wat we afspreken.",
                    "pillar": pos + 1,
                }
                for p in ids
                for pos, kind in enumerate(("agreement", "tip"))
            ),
        )
        norms = self.norms(n)
        self.insert(
            ProtocolNorm,
            ({"protocol_id": p, "norm_id": nm} for p, nm in zip(ids, norms, strict=True)),
        )
        return ids

    def programs(self, n: int, *, skills: Ids, audience: str = "staff") -> Ids:
        """n programmes, the i-th training ``skills[i % len]``."""
        ids = self.insert(
            TrainingProgram,
            (
                {
                    "external_id": f"P-{k}",
                    "title": f"Training {k}",
                    "audience": audience,
                    "refresher_months": 12,
                }
                for k in _fresh(n)
            ),
        )
        self.insert(
            ProgramSkill,
            ({"program_id": p, "skill_id": skills[i % len(skills)]} for i, p in enumerate(ids)),
        )
        return ids

    def sessions(self, programs: Ids, *, days_ahead: int = 30, completed: bool = False) -> Ids:
        """One session per programme; ``completed`` ones (in the past) are completed."""
        start = utcnow().replace(microsecond=0) + timedelta(days=days_ahead)
        return self.insert(
            TrainingSession,
            (
                {
                    "program_id": p,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=4),
                    "location": "Utrecht",
                    "trainer": "Marieke Hoekstra",
                    "capacity": 500,
                    "status": "completed" if completed else "planned",
                    "completed_at": start + timedelta(hours=4) if completed else None,
                }
                for p in programs
            ),
        )

    def enrolments(self, sessions: Ids, employees: Ids, *, status: str = "enrolled") -> Ids:
        """The i-th employee enrolled in ``sessions[i]``."""
        return self.insert(
            Enrolment,
            (
                {"session_id": s, "employee_id": e, "status": status, "warnings": []}
                for s, e in zip(sessions, employees, strict=True)
            ),
        )

    def participants(
        self, n: int, *, days_ahead: int = 30, completed: bool = False
    ) -> Participants:
        """n employees, each in their own team and function group with their own personal
        goal, enrolled in their own session of their own programme on the goal's skill."""
        teams, skills = self.teams(n), self.skills(n)
        employees = self.employees(n, teams=teams, function_groups=self.function_groups(n))
        goals = self.personal_goals(employees, self.team_goals(teams, skills), skills)
        programs = self.programs(n, skills=skills)
        sessions = self.sessions(programs, days_ahead=days_ahead, completed=completed)
        status = "completed" if completed else "enrolled"
        enrolments = self.enrolments(sessions, employees, status=status)
        return Participants(employees, goals, skills, programs, sessions, enrolments)

    def reflections(self, p: Participants) -> Ids:
        """A reflection per enrolment (recorded now, before the start), bringing the goal."""
        return self.insert(
            TrainingReflection,
            (
                {
                    "enrolment_id": p.enrolments[i],
                    "session_id": p.sessions[i],
                    "employee_id": p.employees[i],
                    "personal_goal_ids": [str(p.goals[i])],
                    "situation": "Een cliënt die de balie niet wil verlaten",
                    "question": "Hoe blijf ik rustig?" if i % 2 else None,
                }
                for i in range(len(p.enrolments))
            ),
        )

    def evaluations(self, p: Participants) -> Ids:
        """An evaluation per enrolment: attendance, rating and feedback varying."""
        return self.insert(
            TrainingEvaluation,
            (
                {
                    "enrolment_id": p.enrolments[i],
                    "session_id": p.sessions[i],
                    "program_id": p.programs[i],
                    "employee_id": p.employees[i],
                    "attendance": ("present", "partly", "absent")[i % 3],
                    "rating": 1 + i % 5,
                    "helped": "Het rollenspel",
                    "practise_more": f"De-escaleren {i}" if i % 2 else None,
                    "trainer_note": "Actief meegedaan",
                    "achieved_goal_ids": [],
                }
                for i in range(len(p.enrolments))
            ),
        )

    def goal_progress(self, p: Participants, *, day: date) -> Ids:
        """Progress on each participant's goal, as completing the session writes it."""
        return self.insert(
            GoalProgress,
            (
                {
                    "personal_goal_id": p.goals[i],
                    "employee_id": p.employees[i],
                    "session_id": p.sessions[i],
                    "program_id": p.programs[i],
                    "skill_id": p.skills[i],
                    "practised_on": day,
                    "achieved": False,
                }
                for i in range(len(p.enrolments))
            ),
        )

    def import_mappings(self, function_groups: Ids) -> Ids:
        """A `Functie` value per function group and a role word per function group."""
        keys = _fresh(len(function_groups))
        targets: list[tuple[str, str, uuid.UUID | None, str | None]] = []
        for fg, k in zip(function_groups, keys, strict=True):
            targets += [
                (f"Functie {k}", "function", fg, None),
                (f"Rol {k}", "role", None, "employee"),
            ]
        return self.insert(
            ImportMapping,
            (
                {
                    "kind": kind,
                    "value": value,
                    "match_key": normalise_header(value),
                    "function_group_id": fg,
                    "role": role,
                }
                for value, kind, fg, role in targets
            ),
        )

    def organisation_goals(self, n: int) -> Ids:
        return self.insert(
            OrganisationGoal,
            (
                {
                    "title": f"Doel {k}",
                    "description": "Minder incidenten",
                    "target_on": _today() + timedelta(days=365),
                    "status": "active",
                }
                for k in _fresh(n)
            ),
        )

    def team_goals(
        self,
        teams: Ids,
        skills: Ids,
        *,
        norms: Ids | None = None,
        organisation_goals: Ids | None = None,
    ) -> Ids:
        """One active goal per team, the i-th for ``skills[i % len]``, each from its own norm
        (and serving ``organisation_goals[i]`` when given)."""
        ids = self.insert(
            TeamGoal,
            (
                {
                    "team_id": t,
                    "skill_id": skills[i % len(skills)],
                    "description": "Samen oefenen",
                    "organisation_goal_id": organisation_goals[i] if organisation_goals else None,
                }
                for i, t in enumerate(teams)
            ),
        )
        norms = norms if norms is not None else self.norms(len(ids), teams=teams)
        self.insert(
            TeamGoalNorm,
            ({"team_goal_id": g, "norm_id": nm} for g, nm in zip(ids, norms, strict=False)),
        )
        return ids

    def personal_goals(self, employees: Ids, goals: Ids, skills: Ids) -> Ids:
        """One agreed goal per employee, aligned with ``goals[i % len]``."""
        return self.insert(
            PersonalGoal,
            (
                {
                    "employee_id": e,
                    "skill_id": skills[i % len(skills)],
                    "description": "Ik wil leren",
                    "team_goal_id": goals[i % len(goals)],
                    "status": "agreed",
                    "alignment": "aligned",
                    "aligned_team_goal_id": goals[i % len(goals)],
                }
                for i, e in enumerate(employees)
            ),
        )

    def reviews(self, teams: Ids, participants: Ids, skills: Ids) -> Ids:
        """One practice review per team with a participant and a rating each."""
        held = _today() - timedelta(days=30)
        ids = self.insert(
            PracticeReview,
            (
                {
                    "team_id": t,
                    "held_on": held,
                    "next_review_on": held + timedelta(days=91),
                    "summary": "Goed",
                }
                for t in teams
            ),
        )
        self.insert(
            PracticeReviewParticipant,
            (
                {"review_id": r, "employee_id": participants[i % len(participants)]}
                for i, r in enumerate(ids)
            ),
        )
        self.insert(
            PracticeReviewRating,
            (
                {"review_id": r, "skill_id": skills[i % len(skills)], "rating": 4, "notes": None}
                for i, r in enumerate(ids)
            ),
        )
        return ids

    def meetings(self, teams: Ids) -> Ids:
        """One team meeting per team, with 'safe and resilient work' on the agenda."""
        ids = self.insert(
            TeamMeeting,
            (
                {
                    "team_id": t,
                    "held_on": _today() - timedelta(days=10),
                    "notes": None,
                    "safe_resilient_work_on_agenda": True,
                }
                for t in teams
            ),
        )
        self.insert(
            TeamMeetingAgendaItem,
            (
                {
                    "meeting_id": m,
                    "position": pos,
                    "kind": kind,
                    "title": "Veilig en weerbaar werken" if pos == 0 else "Rooster",
                    "notes": None,
                }
                for m in ids
                for pos, kind in enumerate(("safe_resilient_work", "general"))
            ),
        )
        return ids

    def conversations(self, employees: Ids, managers: Ids, goals: Ids | None = None) -> Ids:
        ids = self.insert(
            HrmConversation,
            (
                {
                    "employee_id": e,
                    "manager_id": managers[i % len(managers)],
                    "held_on": _today() - timedelta(days=20),
                    "kind": "progress",
                    "theme_discussed": True,
                    "notes": None,
                }
                for i, e in enumerate(employees)
            ),
        )
        if goals:
            self.insert(
                HrmConversationGoal,
                (
                    {"conversation_id": c, "personal_goal_id": goals[i % len(goals)]}
                    for i, c in enumerate(ids)
                ),
            )
        return ids

    def uncovered_employees(self, n: int) -> Ids:
        """n active employees the HRM theme has not reached, each in its own team and
        function group, with a theme conversation 13 months old (the list shows its date)."""
        teams, managers = self.managed_teams(n)
        employees = self.employees(n, teams=teams, function_groups=self.function_groups(n))
        self.insert(
            HrmConversation,
            (
                {
                    "employee_id": e,
                    "manager_id": m,
                    "held_on": add_months(_today(), -13),
                    "kind": "appraisal",
                    "theme_discussed": True,
                    "notes": None,
                }
                for e, m in zip(employees, managers, strict=True)
            ),
        )
        return employees


def _fresh(n: int) -> list[str]:
    """n keys unique in the test run (names, external ids, emails)."""
    return [f"{next(_seq)}-{uuid.uuid4().hex[:6]}" for _ in range(n)]


def _ref(w: World, name: str) -> uuid.UUID:
    """The id of the path's parent resource, made by the registry's maker."""
    return uuid.UUID(w.id(name))


# --- one seeder per list route: n rows of the listed resource -------------------------

Seeder = Callable[[Bulk, World, int], None]


def _api_keys(b: Bulk, w: World, n: int) -> None:
    b.insert(
        ApiKey,
        (
            {
                "name": f"Koppeling {k}",
                "prefix": f"vk_{uuid.uuid4().hex[:16]}",
                "key_hash": uuid.uuid4().hex,
                "scope": "read",
            }
            for k in _fresh(n)
        ),
    )


def _teams(b: Bulk, w: World, n: int) -> None:
    b.managed_teams(n)


def _function_groups(b: Bulk, w: World, n: int) -> None:
    b.function_groups(n, skills=b.builtin_skills())


def _employees(b: Bulk, w: World, n: int) -> None:
    teams, _ = b.managed_teams(n)
    b.employees(n, teams=teams, function_groups=b.function_groups(n))


def _norms(b: Bulk, w: World, n: int) -> None:
    b.norms(n, teams=b.teams(n))


def _protocols(b: Bulk, w: World, n: int) -> None:
    # After the version the path maker may have created (the registry makes version 1).
    b.protocols(n, first_version=1000, published=True)


def _acknowledgements(b: Bulk, w: World, n: int) -> None:
    employees = b.employees(n, teams=b.teams(n))
    b.insert(
        ProtocolAcknowledgement,
        (
            {"protocol_id": _ref(w, "protocol_id"), "employee_id": e, "read_at": utcnow()}
            for e in employees
        ),
    )


def _team_discussions(b: Bulk, w: World, n: int) -> None:
    b.insert(
        TeamDiscussion,
        (
            {
                "protocol_id": _ref(w, "protocol_id"),
                "team_id": t,
                "discussed_on": _today(),
                "notes": "Besproken",
            }
            for t in b.teams(n)
        ),
    )


def _identity_providers(b: Bulk, w: World, n: int) -> None:
    b.insert(
        IdentityProvider,
        (
            {
                "name": f"IdP {k}",
                "issuer": f"https://login.example.org/{k}",
                "audience": "api://veerkracht",
                "email_claim": "email",
                "groups_claim": "groups",
                "group_roles": {"hr": ["hr_admin"]},
                "link_by": "email",
                "create_users": True,
                "active": True,
            }
            for k in _fresh(n)
        ),
    )


def _users(b: Bulk, w: World, n: int) -> None:
    b.insert(
        User,
        ({"email": f"u{k}@example.nl", "roles": ["employee"], "active": True} for k in _fresh(n)),
    )


def _skills(b: Bulk, w: World, n: int) -> None:
    b.skills(n)


def _team_goals(b: Bulk, w: World, n: int) -> None:
    b.team_goals(b.teams(n), b.skills(n))


def _personal_goals(b: Bulk, w: World, n: int) -> None:
    teams, skills = b.teams(n), b.skills(n)
    goals = b.team_goals(teams, skills)
    b.personal_goals(b.employees(n, teams=teams), goals, skills)


def _programs(b: Bulk, w: World, n: int) -> None:
    b.programs(n, skills=b.skills(n))


def _sessions(b: Bulk, w: World, n: int) -> None:
    b.sessions(b.programs(n, skills=b.skills(n)))


def _enrolments(b: Bulk, w: World, n: int) -> None:
    employees = b.employees(n, teams=b.teams(n), function_groups=b.function_groups(n))
    b.insert(
        Enrolment,
        (
            {
                "session_id": _ref(w, "session_id"),
                "employee_id": e,
                "status": "enrolled",
                "warnings": [
                    {
                        "rule": "protocol_ready",
                        "severity": "warning",
                        "message": "Het protocol is nog niet gelezen.",
                        "details": {},
                    }
                ],
            }
            for e in employees
        ),
    )


def _training_reflections(b: Bulk, w: World, n: int) -> None:
    b.reflections(b.participants(n))


def _training_evaluations(b: Bulk, w: World, n: int) -> None:
    b.evaluations(b.participants(n, days_ahead=-10, completed=True))


def _goal_progress(b: Bulk, w: World, n: int) -> None:
    b.goal_progress(
        b.participants(n, days_ahead=-10, completed=True), day=_today() - timedelta(days=10)
    )


def _organisation_goals(b: Bulk, w: World, n: int) -> None:
    goals = b.organisation_goals(n)
    b.team_goals(b.teams(n), b.skills(n), organisation_goals=goals)


def _import_mappings(b: Bulk, w: World, n: int) -> None:
    b.import_mappings(b.function_groups(n))  # a function and a role mapping each


def _plans(b: Bulk, w: World, n: int) -> None:
    b.insert(
        TrainingPlan,
        (
            {
                "team_id": t,
                "function_group_id": None,
                "starts_on": _today(),
                "status": "proposed",
                "data_version": uuid.uuid4().hex,
                "employee_count": 4,
                "session_count": 1,
                "phases": [],
                "uncovered": [],
                "scheduled_at": None,
            }
            for t in b.teams(n)
        ),
    )


def _follow_up_items(b: Bulk, w: World, n: int) -> None:
    teams, skills = b.teams(n), b.builtin_skills()
    employees = b.employees(n, teams=teams)
    reviews = b.reviews(teams, employees, skills)
    sessions = b.sessions(b.programs(n, skills=skills), days_ahead=-10)
    b.insert(
        FollowUpItem,
        (
            {
                "kind": ("action_point", "learning_point", "attention_point")[i % 3],
                "description": "Oefenen",
                "training_session_id": sessions[i] if i % 3 == 1 else None,
                "practice_review_id": reviews[i] if i % 3 == 0 else None,
                "owner_employee_id": employees[i] if i % 2 else None,
                "owner_team_id": None if i % 2 else teams[i],
                "due_on": _today() + timedelta(days=i % 7 - 3),
                "status": "open",
            }
            for i in range(n)
        ),
    )


def _incidents(b: Bulk, w: World, n: int) -> None:
    teams = b.teams(n)
    b.incidents(teams, b.employees(n, teams=teams), b.function_groups(n))


def _aftercare(b: Bulk, w: World, n: int) -> None:
    _incidents(b, w, n)


def _practice_reviews(b: Bulk, w: World, n: int) -> None:
    teams = b.teams(n)
    b.reviews(teams, b.employees(n, teams=teams), b.skills(n))


def _team_meetings(b: Bulk, w: World, n: int) -> None:
    b.meetings(b.teams(n))


def _conversations(b: Bulk, w: World, n: int) -> None:
    teams, managers = b.managed_teams(n)
    skills = b.skills(n)
    employees = b.employees(n, teams=teams)
    goals = b.personal_goals(employees, b.team_goals(teams, skills), skills)
    b.conversations(employees, managers, goals)


def _hrm_theme_gaps(b: Bulk, w: World, n: int) -> None:
    b.uncovered_employees(n)


def _audit_events(b: Bulk, w: World, n: int) -> None:
    keys = b.insert(
        ApiKey,
        (
            {
                "name": f"Koppeling {k}",
                "prefix": f"vk_{uuid.uuid4().hex[:16]}",
                "key_hash": uuid.uuid4().hex,
                "scope": "write",
            }
            for k in _fresh(n)
        ),
    )
    b.insert(
        AuditEvent,
        (
            {
                "api_key_id": key,
                "resource_type": "employee",
                "resource_id": uuid7(),
                "action": "update",
                "changed_fields": ["last_name", "email"],
                "request_id": uuid.uuid4().hex,
            }
            for key in keys
        ),
    )


def _webhook_subscriptions(b: Bulk, w: World, n: int) -> None:
    b.insert(
        WebhookSubscription,
        (
            {"url": f"https://hooks.example.org/{k}", "secret": "whsec_AAAA", "event_types": []}
            for k in _fresh(n)
        ),
    )


def _webhook_deliveries(b: Bulk, w: World, n: int) -> None:
    b.insert(
        WebhookDelivery,
        (
            {
                "subscription_id": _ref(w, "subscription_id"),
                "event_id": uuid7(),
                "event_type": "employee.updated",
                "status": "pending",
                "attempts": 0,
            }
            for _ in _fresh(n)
        ),
    )


SEEDERS: dict[str, Seeder] = {
    "/v1/api-keys": _api_keys,
    "/v1/teams": _teams,
    "/v1/function-groups": _function_groups,
    "/v1/employees": _employees,
    "/v1/norms": _norms,
    "/v1/protocols": _protocols,
    "/v1/protocols/{protocol_id}/acknowledgements": _acknowledgements,
    "/v1/protocols/{protocol_id}/team-discussions": _team_discussions,
    "/v1/skills": _skills,
    "/v1/team-goals": _team_goals,
    "/v1/personal-goals": _personal_goals,
    "/v1/training-programs": _programs,
    "/v1/training-sessions": _sessions,
    "/v1/training-sessions/{session_id}/enrolments": _enrolments,
    "/v1/training-reflections": _training_reflections,
    "/v1/training-evaluations": _training_evaluations,
    "/v1/goal-progress": _goal_progress,
    "/v1/organisation-goals": _organisation_goals,
    "/v1/import-mappings": _import_mappings,
    "/v1/training-plans": _plans,
    "/v1/follow-up-items": _follow_up_items,
    "/v1/incidents": _incidents,
    "/v1/aftercare": _aftercare,
    "/v1/practice-reviews": _practice_reviews,
    "/v1/team-meetings": _team_meetings,
    "/v1/hrm-conversations": _conversations,
    "/v1/reports/hrm-theme-gaps": _hrm_theme_gaps,
    "/v1/audit-events": _audit_events,
    "/v1/employee-status": _employees,
    "/v1/webhook-subscriptions": _webhook_subscriptions,
    "/v1/webhook-subscriptions/{subscription_id}/deliveries": _webhook_deliveries,
    "/v1/identity-providers": _identity_providers,
    "/v1/users": _users,
}


# --- a whole organisation of n teams, for the reports ---------------------------------


@dataclass
class Organisation:
    """Ids in a seeded organisation that reports take as path or query parameters."""

    team_ids: Ids
    staff_ids: Ids
    function_group_ids: Ids
    session_id: uuid.UUID  # a planned session every member of staff is enrolled in


STAFF_PER_TEAM = 3


def seed_organisation(b: Bulk, *, teams: int) -> Organisation:
    """An organisation with ``teams`` teams and everything a report counts, per team.

    Each team has a manager, three staff in its own function group (two skills needed), a
    norm and a goal, personal goals, acknowledgements by half the people, a protocol
    discussion in every other team, its own programme with a
    session, enrolments and completions (some refreshers due), follow-up items, a practice
    review, a team meeting and HRM conversations: a report that queries per team, per
    function group, per programme or per employee then sends more statements for more teams.
    Each team's goal serves its own organisation goal, each function group has a `Functie`
    and a role mapping, each team's programme had a completed session with the staff's
    evaluations and goal progress, and one planned session has all staff enrolled (half of
    them with a reflection): a session's briefing, readiness and reflections grow too.
    """
    skills = b.builtin_skills()
    (protocol,) = b.protocols(1, published=True)
    team_ids, managers = b.managed_teams(teams)
    fgs = b.function_groups(teams, skills=skills)
    staff = b.employees(
        STAFF_PER_TEAM * teams,
        teams=[t for t in team_ids for _ in range(STAFF_PER_TEAM)],
        function_groups=[f for f in fgs for _ in range(STAFF_PER_TEAM)],
    )
    everyone = managers + staff
    goals = b.team_goals(
        team_ids,
        skills,
        norms=b.norms(teams, teams=team_ids),
        organisation_goals=b.organisation_goals(teams),
    )
    team_of_staff = [goals[i // STAFF_PER_TEAM] for i in range(len(staff))]
    skill_of_staff = [skills[(i // STAFF_PER_TEAM) % len(skills)] for i in range(len(staff))]
    personal = b.insert(
        PersonalGoal,
        (
            {
                "employee_id": e,
                "skill_id": skill_of_staff[i],
                "description": "Ik wil leren",
                "team_goal_id": team_of_staff[i],
                "status": "agreed",
                "alignment": "aligned",
                "aligned_team_goal_id": team_of_staff[i],
            }
            for i, e in enumerate(staff)
        ),
    )
    b.insert(
        ProtocolAcknowledgement,
        ({"protocol_id": protocol, "employee_id": e, "read_at": utcnow()} for e in everyone[::2]),
    )
    b.insert(
        TeamDiscussion,
        (
            {"protocol_id": protocol, "team_id": t, "discussed_on": _today(), "notes": None}
            for t in team_ids[::2]  # the other teams' members who did not read it are not ready
        ),
    )
    b.db.connection().execute(TEAM_MEMBERS_TOOK_PART)
    (management,) = b.programs(1, skills=skills[:2], audience="management")
    programs = b.programs(teams, skills=skills)
    sessions = b.sessions(programs)
    b.insert(
        Enrolment,
        (
            {"session_id": sessions[i // STAFF_PER_TEAM], "employee_id": e, "warnings": []}
            for i, e in enumerate(staff)
        ),
    )
    b.insert(
        TrainingCompletion,
        [
            {
                "employee_id": m,
                "program_id": management,
                "session_id": None,
                "completed_on": _today() - timedelta(days=400),
            }
            for m in managers
        ]
        + [
            {
                "employee_id": e,
                "program_id": programs[i // STAFF_PER_TEAM],
                "session_id": None,
                # refreshers every 12 months: a third lapse within 90 days, a third lapsed
                "completed_on": _today() - timedelta(days=(100, 300, 400)[i % 3]),
            }
            for i, e in enumerate(staff)
        ],
    )
    reviews = b.reviews(team_ids, staff, skills)
    b.meetings(team_ids)
    b.conversations(staff, [managers[i // STAFF_PER_TEAM] for i in range(len(staff))], personal)
    b.insert(
        FollowUpItem,
        [
            {
                "kind": "action_point",
                "description": "Oefenen",
                "practice_review_id": r,
                "owner_team_id": t,
                "owner_employee_id": None,
                "due_on": _today() - timedelta(days=5),
            }
            for t, r in zip(team_ids, reviews, strict=True)
        ]
        + [
            {
                "kind": "attention_point",
                "description": "Let op",
                "practice_review_id": None,
                "owner_team_id": None,
                "owner_employee_id": e,
                "due_on": _today() + timedelta(days=5),
            }
            for e in staff
        ],
    )
    b.incidents(team_ids, staff[::STAFF_PER_TEAM], fgs)
    b.import_mappings(fgs)
    # Each team's programme had a session, completed ten days ago and evaluated.
    past = b.sessions(programs, days_ahead=-10, completed=True)
    past_sessions = [past[i // STAFF_PER_TEAM] for i in range(len(staff))]
    evaluated = Participants(
        employees=staff,
        goals=personal,
        skills=skill_of_staff,
        programs=[programs[i // STAFF_PER_TEAM] for i in range(len(staff))],
        sessions=past_sessions,
        enrolments=b.enrolments(past_sessions, staff, status="completed"),
    )
    b.evaluations(evaluated)
    b.goal_progress(evaluated, day=_today() - timedelta(days=10))
    # One planned session with all staff enrolled, half of them with a reflection.
    (briefed,) = b.sessions(b.programs(1, skills=skills), days_ahead=20)
    enrolments = b.enrolments([briefed] * len(staff), staff)
    b.reflections(
        Participants(
            employees=staff[::2],
            goals=personal[::2],
            skills=skill_of_staff[::2],
            programs=[],
            sessions=[briefed] * len(enrolments[::2]),
            enrolments=enrolments[::2],
        )
    )
    return Organisation(
        team_ids=team_ids, staff_ids=staff, function_group_ids=fgs, session_id=briefed
    )
