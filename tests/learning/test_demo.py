"""The learning part of the demo: goals derived from the protocol, personal goals aligned."""

import pytest
from sqlmodel import Session, select

from app import demo as app_demo
from app.demo import DemoContext, create_demo
from app.learning import demo as learning_demo
from app.learning.demo import skill_for_section
from app.learning.models import Alignment, PersonalGoal, TeamGoal
from app.policy.models import Protocol, ProtocolSection, ProtocolStatus, SectionKind


def _section(title: str, body: str = "", pillar: int | None = None) -> ProtocolSection:
    return ProtocolSection(
        protocol_id=None,  # type: ignore[arg-type]
        position=1,
        kind=SectionKind.agreement,
        title=title,
        body=body,
        pillar=pillar,
    )


def test_sections_map_to_skills() -> None:
    assert skill_for_section(_section("Bij dreiging: de-escaleren")) == "deescalation"
    assert skill_for_section(_section("Nazorg", "Een collega vangt je op")) == "peer_support"
    assert skill_for_section(_section("Cliënt onder invloed")) == "less_influenceable_behaviour"
    assert skill_for_section(_section("Algemeen", pillar=2)) == "risk_assessment"


def test_demo_has_team_goals_and_aligned_personal_goals(db: Session) -> None:
    ctx = create_demo(db)
    team_goals = db.exec(select(TeamGoal)).all()
    assert {g.team_id for g in team_goals} == {t.id for t in ctx.teams.values()}
    personal = db.exec(select(PersonalGoal)).all()
    assert personal and all(p.alignment == Alignment.aligned for p in personal)
    if db.exec(select(ProtocolSection)).first() is not None:
        assert any(g.source_protocol_section_id for g in team_goals)
    assert any("goal-not-aligned" in note for note in ctx.notes)


def test_demo_goals_derive_from_the_published_protocol(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def protocol_seed(session: Session, ctx: DemoContext) -> None:
        protocol = Protocol(title="Agressieprotocol", version=1, status=ProtocolStatus.published)
        session.add(protocol)
        session.flush()
        for i, (title, pillar) in enumerate(
            [
                ("Bij dreiging haal je een collega erbij en de-escaleer je", 3),
                ("Boosheid ombuigen voordat het escaleert", 3),
                ("Risico's inschatten voor een huisbezoek", 2),
            ],
            start=1,
        ):
            session.add(
                ProtocolSection(
                    protocol_id=protocol.id,
                    position=i,
                    kind=SectionKind.agreement,
                    title=title,
                    body="...",
                    pillar=pillar,
                )
            )
        session.flush()

    monkeypatch.setattr(app_demo, "_domain_seeds", lambda: [protocol_seed, learning_demo.seed])
    ctx = create_demo(db)
    crisis = db.exec(select(TeamGoal).where(TeamGoal.team_id == ctx.teams["T-CRI"].id)).all()
    assert len(crisis) == 3 and all(g.source_protocol_section_id for g in crisis)
    assert any("Protocol: " in g.description for g in crisis)
