"""The report figures, aggregated in SQL: a handful of grouped queries, whatever the size.

Three statements carry the figures, each one pass over its tables:

- *per team* (``team_figures``): every team with its managers, active team goals,
  latest practice review and meetings, each aggregated by team in a subquery;
- *per employee group* (``employee_figures``): the active employees grouped by team and
  function group, each joined to one aggregate of their completions (first, first
  management, latest, refreshers due, a current flag per needed skill), their personal
  goals, protocol readiness and HRM theme; the team report sums the groups of a team, the
  overview's coverage those of a function group;
- *follow-up* (``_follow_up``): open items by owning team (or the owner's team).

No statement returns more rows than there are teams (times function groups), and none
runs per team or per employee. The queries read the other domains' tables directly (not
their services); the definitions follow those domains:

- *protocol-ready* (policy): read the protocol in force, or the team discussed it;
- *current* (training): a completed programme with the skill whose completed_on +
  refresher_months is still in the future; a *refresher is due* when that date falls
  within the next 90 days (latest completion per employee and programme);
- *managers first* (training): a manager is trained once they completed a `management`
  programme; staff trained before a responsible manager (senior management or their
  team's managers) was, are counted;
- *HRM theme covered* (``hrm_theme.py``): a theme conversation held in the last 12 months,
  the one expression the list of those not covered uses too.
"""

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from app.core.dates import report_period
from app.followup.dates import current_since
from app.followup.models import (
    FollowUpItem,
    FollowUpStatus,
)
from app.organisation.models import (
    Employee,
    OrganisationSettings,
)
from app.policy.models import Protocol
from app.reports.employee_figures import employee_figures, needs_by_group
from app.reports.figure_query import Collected, FigureQuery, Figures, count_if, group_key, key_uuid
from app.reports.team_figures import team_figures


def _current_protocol_id(q: FigureQuery) -> uuid.UUID | None:
    # The version in force, as the policy domain defines it (published, not superseded).
    rows = q.run(
        select(col(Protocol.id))
        .where(
            col(Protocol.organisation_id) == q.org_id,
            col(Protocol.published_at).is_not(None),
            col(Protocol.published_at) <= q.now,
            or_(col(Protocol.superseded_at).is_(None), col(Protocol.superseded_at) > q.now),
        )
        .order_by(col(Protocol.published_at).desc())
        .limit(1)
    )
    found: uuid.UUID | None = rows[0][0] if rows else None
    return found


def _follow_up(q: FigureQuery, c: Collected) -> None:
    """Per team: open and overdue items owned by the team or by one of its members."""
    owner_team = func.coalesce(col(FollowUpItem.owner_team_id), col(Employee.team_id))
    owner_key = group_key(owner_team)
    due_on = col(FollowUpItem.due_on)
    rows = q.run(
        select(owner_key, func.count(), count_if(and_(due_on.is_not(None), due_on < q.today)))
        .select_from(FollowUpItem)
        .outerjoin(Employee, col(Employee.id) == col(FollowUpItem.owner_employee_id))
        .where(
            col(FollowUpItem.organisation_id) == q.org_id,
            col(FollowUpItem.status) == FollowUpStatus.open,
        )
        .group_by(owner_team)
    )
    for team_id, n_open, n_overdue in rows:
        c.by_team[team_id].follow_up_open = n_open
        c.by_team[team_id].follow_up_overdue = n_overdue


def _review_overdue(q: FigureQuery, c: Collected) -> None:
    """Overdue: the team has completed training, and its latest review's next_review_on has
    passed, or (never reviewed) its latest training is older than the review interval."""
    # Older than the interval: last_on + interval < today, i.e. it no longer reaches today.
    stale_since = current_since(q.settings.review_interval_months, q.today - timedelta(days=1))
    for team_id, _name, _external_id in c.teams:
        f = c.by_team[team_id]
        if f.last_training_on is None:
            f.review_overdue = False
        elif f.next_review_on is not None:
            f.review_overdue = f.next_review_on < q.today
        else:
            f.review_overdue = f.last_training_on < stale_since


def collect(
    db: Session,
    *,
    settings: OrganisationSettings,
    today: date,
    period_from: date | None,
    period_to: date | None,
) -> Collected:
    """Run the figure queries; both reports show the same figures, summed differently."""
    q = FigureQuery(db, settings, today)
    period_from, period_to = report_period(period_from, period_to, today=today)
    c = Collected(
        today=today,
        period_from=period_from,
        period_to=period_to,
        protocol_id=_current_protocol_id(q),
    )
    groups, needs = needs_by_group(q)
    team_figures(q, c)
    employee_figures(q, c, groups, needs)
    _follow_up(q, c)
    _review_overdue(q, c)
    # Keyed by UUID from here on, as the callers expect.
    c.teams = [(key_uuid(key), name, external_id) for key, name, external_id in c.teams]
    by_team = {None if k is None else key_uuid(k): f for k, f in c.by_team.items()}
    c.by_team = defaultdict(Figures, by_team)
    return c
