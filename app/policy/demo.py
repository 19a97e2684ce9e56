"""The policy part of the demo organisation: norms, the protocol and who has read it."""

import uuid
from datetime import timedelta

from sqlmodel import Session

from app.core.models import utcnow
from app.demo import DemoContext
from app.organisation.models import Employee
from app.policy import service
from app.policy.models import (
    Norm,
    NormLevel,
    Protocol,
    ProtocolAcknowledgement,
    ProtocolCreate,
    SectionIn,
    SectionKind,
    TeamDiscussion,
    TeamDiscussionParticipant,
)

# (title, level, description, response, aftercare): the organisation norm, AgressieWijzer
# style, from desired (green) through emotional (orange) to unacceptable (red).
NORMS = [
    (
        "Ongenoegen rustig uiten",
        NormLevel.green,
        "De cliënt is het ergens niet mee eens en zegt dat, ook stevig, zonder te schelden.",
        "Luister, vat samen en erken de emotie. Leg uit wat wel en niet kan.",
        "Geen; bespreek het desgewenst in het werkoverleg als voorbeeld dat goed ging.",
    ),
    (
        "Schreeuwen",
        NormLevel.orange,
        "De cliënt verheft de stem, is emotioneel en wordt luid, maar richt zich niet "
        "persoonlijk op de medewerker.",
        "Blijf rustig, benoem het gedrag ('Ik merk dat u boos bent') en begrens: 'Als u "
        "blijft schreeuwen, stop ik het gesprek.'",
        "Bespreek het kort na met een collega; registreer het bij herhaling.",
    ),
    (
        "Dreigen",
        NormLevel.red,
        "Dreigen met geweld, met 'je weet niet wat er gebeurt' of met gevolgen voor de "
        "medewerker of diens naasten.",
        "Stop het gesprek, zorg voor je eigen veiligheid en haal een collega of "
        "leidinggevende erbij.",
        "Meld het incident, de leidinggevende voert een gesprek met de cliënt en stuurt een "
        "schriftelijke waarschuwing; aangifte bij een ernstige bedreiging.",
    ),
    (
        "Discriminerende opmerkingen",
        NormLevel.red,
        "Opmerkingen over afkomst, huidskleur, geloof, geslacht of seksuele voorkeur van de "
        "medewerker.",
        "Benoem dat dit niet wordt geaccepteerd en beëindig het gesprek als het doorgaat.",
        "Meld het incident; de leidinggevende spreekt de cliënt aan. Nazorg voor de "
        "medewerker door het opvangteam.",
    ),
    (
        "Vernielen van eigendommen",
        NormLevel.red,
        "Met opzet spullen van de organisatie of van medewerkers kapotmaken of ermee gooien.",
        "Houd afstand, breng jezelf en anderen in veiligheid en waarschuw een collega.",
        "Meld het incident; de schade wordt verhaald op de cliënt en er volgt aangifte.",
    ),
    (
        "Fysiek geweld",
        NormLevel.red,
        "Duwen, slaan, schoppen, spugen of vastpakken.",
        "Breng jezelf in veiligheid, alarmeer collega's en zo nodig de politie (112).",
        "Meld het incident direct; aangifte, opvang binnen 24 uur en een gesprek over "
        "voortzetting van de dienstverlening.",
    ),
]

# (kind, pillar, title, body): one or more sections per pillar of the method.
SECTIONS = [
    (
        SectionKind.agreement,
        1,
        "Gastvrij en duidelijk",
        "Wij ontvangen cliënten gastvrij en leggen vooraf uit wat zij van ons kunnen "
        "verwachten. Slecht nieuws brengen we direct, in de eerste zinnen van het gesprek.",
    ),
    (
        SectionKind.tip,
        1,
        "Ongemak benoemen",
        "Benoem het als een gesprek schuurt: 'Ik merk dat dit u raakt.' Dat haalt vaak de "
        "spanning eruit.",
    ),
    (
        SectionKind.agreement,
        2,
        "Risico's vooraf inschatten",
        "Voor een huisbezoek bij een cliënt met een agressiesignalering ga je met z'n "
        "tweeën en laat je weten waar je bent.",
    ),
    (
        SectionKind.suggestion,
        2,
        "Spanning bij jezelf herkennen",
        "Let op je eigen signalen (hartslag, stem, ademhaling) en neem tijdig een time-out.",
    ),
    (
        SectionKind.procedure,
        3,
        "De-escaleren en begrenzen",
        "Bij oranje gedrag begrens je en geef je de cliënt een keuze. Bij rood gedrag stop "
        "je het gesprek, verlaat je de ruimte en alarmeer je een collega.",
    ),
    (
        SectionKind.procedure,
        4,
        "Melden en nazorg",
        "Meld elk incident binnen 24 uur in het incidentenregistratiesysteem. De "
        "leidinggevende neemt dezelfde dag contact op; het opvangteam biedt nazorg.",
    ),
    (
        SectionKind.agreement,
        4,
        "Collegiale ondersteuning",
        "Na een incident vang je elkaar op. In het werkoverleg bespreken we incidenten "
        "onder het vaste agendapunt Veilig en veerkrachtig werken.",
    ),
]

# Version 1, a year earlier: what the evaluation of the incident reports changed in version 2
# is visible in the content, not only in the summary (issue 20, item 11): no agreements on
# risks yet (pillar 2), reporting within a week, aftercare left to the manager, and nothing
# on supporting each other.
SECTIONS_V1 = [
    SECTIONS[0],
    SECTIONS[1],
    (
        SectionKind.procedure,
        3,
        "Bij agressie",
        "Blijf rustig en probeer het gesprek af te ronden. Loopt het uit de hand, haal dan "
        "een collega of de leidinggevende erbij.",
    ),
    (
        SectionKind.procedure,
        4,
        "Melden",
        "Meld een incident binnen een week bij je leidinggevende; die beslist of nazorg nodig is.",
    ),
]

# Teams that discussed the current protocol in their werkoverleg (days ago), and the share
# of the other teams' staff who read it themselves: a mix of ready and not-ready teams.
DISCUSSED = {"T-CRI": 45, "T-JW-N": 30}
READ_SHARE = {"T-AB-W": 0.8, "T-SHV": 0.5, "T-REC": 0.4, "T-JW-Z": 0.3, "T-MW": 0.2}


def _protocol(
    db: Session,
    *,
    title: str,
    summary: str,
    norm_ids: list[uuid.UUID],
    sections: list[tuple[SectionKind, int, str, str]],
) -> Protocol:
    data = ProtocolCreate(
        title=title,
        summary=summary,
        sections=[
            SectionIn(kind=kind, pillar=pillar, title=t, body=body)
            for kind, pillar, t, body in sections
        ],
        norm_ids=norm_ids,
    )
    return service.create_protocol(db, data=data)


def seed(db: Session, ctx: DemoContext) -> None:
    """Norms, two protocol versions (the second in force) and a mix of ready employees."""
    now = utcnow()
    norms = [
        Norm(title=title, level=level, description=d, response=r, aftercare=a)
        for title, level, d, r, a in NORMS
    ]
    # A team norm sharpens the organisation norm: at the front desk, with a full waiting
    # room, shouting is not tolerated.
    norms.append(
        Norm(
            title="Schreeuwen",
            level=NormLevel.red,
            team_id=ctx.teams["T-REC"].id,
            description="Schreeuwen aan de balie of in de wachtruimte.",
            response="Vraag de cliënt mee te gaan naar een spreekkamer of het pand te verlaten.",
            aftercare="Meld het incident; de teamleider belt de cliënt de volgende dag.",
        )
    )
    db.add_all(norms)
    db.flush()
    norm_ids = [n.id for n in norms if n.team_id is None]

    old = _protocol(
        db,
        title="Agressieprotocol Stichting Jeugd & Welzijn Oost",
        summary="Eerste versie van de afspraken over omgaan met agressie.",
        norm_ids=norm_ids[:4],
        sections=SECTIONS_V1,
    )
    service.publish_protocol(db, protocol=old)
    current = _protocol(
        db,
        title="Agressieprotocol Stichting Jeugd & Welzijn Oost",
        summary="Herziene afspraken na de evaluatie van de incidentmeldingen: risico's "
        "vooraf inschatten, normen per kleur, de-escaleren en begrenzen, melden binnen 24 "
        "uur, nazorg door het opvangteam en collegiale ondersteuning.",
        norm_ids=norm_ids,
        sections=SECTIONS,
    )
    service.publish_protocol(db, protocol=current)
    # Published before the management workshop (61 days ago), which practises it.
    published_at = now - timedelta(days=75)
    old.published_at, old.superseded_at = now - timedelta(days=420), published_at
    current.published_at = published_at

    for ext, days_ago in DISCUSSED.items():
        discussion = TeamDiscussion(
            protocol_id=current.id,
            team_id=ctx.teams[ext].id,
            discussed_on=(now - timedelta(days=days_ago)).date(),
            notes="Besproken onder het agendapunt Veilig en veerkrachtig werken.",
        )
        db.add(discussion)
        db.flush()
        # Everyone of the team was there but one, who reads it instead (or not).
        members = ctx.staff[ext]
        db.add_all(
            TeamDiscussionParticipant(
                discussion_id=discussion.id, employee_id=e.id, organisation_id=ctx.org.id
            )
            for e in [ctx.managers[ext], *members[1:]]
        )
    # Management reads it first (within ten days, before its workshop); staff of the other
    # teams partly, later.
    managers = [*ctx.senior_management, *ctx.managers.values()]
    staff: list[Employee] = []
    for ext, share in READ_SHARE.items():
        members = ctx.staff[ext]
        staff += ctx.rng.sample(members, round(len(members) * share))
    for emp, first, last in [*((m, 1, 10) for m in managers), *((e, 11, 70) for e in staff)]:
        db.add(
            ProtocolAcknowledgement(
                protocol_id=current.id,
                employee_id=emp.id,
                read_at=published_at + timedelta(days=ctx.rng.randint(first, last)),
            )
        )
    db.flush()
    ctx.extras["protocol"] = current
    auth = f'-H "Authorization: Bearer {ctx.admin_key}"'
    url = "http://127.0.0.1:8000/v1/protocols/current/readiness"
    ctx.notes += [
        "  # who has read or discussed the aggression protocol, per team (also as CSV)",
        f"  curl -s {auth} {url}",
        f"  curl -s {auth} -H 'Accept: text/csv' -o readiness.csv {url}",
    ]
