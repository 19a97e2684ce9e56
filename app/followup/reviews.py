"""Practice reviews: ratings per skill, participants and the next review date."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, no_duplicate_ids, resolve_ref, resolve_refs, set_links
from app.core.dates import add_months
from app.core.errors import InvalidInput
from app.core.listing import Listing
from app.core.models import render, touch
from app.core.queries import linked_ids
from app.followup.dates import HeldFilters, refuse_if_in_future
from app.followup.models import (
    PracticeReview,
    PracticeReviewCreate,
    PracticeReviewParticipant,
    PracticeReviewPublic,
    PracticeReviewRating,
    PracticeReviewUpdate,
    SkillRating,
)
from app.learning.models import Skill
from app.organisation.models import Employee, OrganisationSettings, Team


def default_next_review_on(held_on: date, settings: OrganisationSettings) -> date:
    """held_on + the organisation's review interval (seed: discuss periodically)."""
    return add_months(held_on, settings.review_interval_months)


def _check_next_review(held_on: date, next_review_on: date) -> None:
    if next_review_on <= held_on:
        raise InvalidInput(
            "next_review_on must be after held_on.",
            code="next-review-before-held",
            errors=[{"pointer": "/next_review_on", "detail": "must be after held_on"}],
        )


def _set_ratings(db: Session, review: PracticeReview, ratings: Sequence[SkillRating]) -> None:
    skill_ids = [r.skill_id for r in ratings]
    no_duplicate_ids(skill_ids, pointer="/ratings/{i}/skill_id", what="skill")
    resolve_refs(db, Skill, skill_ids, pointer="/ratings/{i}/skill_id", what="skill")
    db.execute(delete(PracticeReviewRating).where(col(PracticeReviewRating.review_id) == review.id))
    db.add_all(
        PracticeReviewRating(
            review_id=review.id, skill_id=r.skill_id, rating=r.rating, notes=r.notes
        )
        for r in ratings
    )


def _set_participants(
    db: Session, review: PracticeReview, participant_ids: Sequence[uuid.UUID]
) -> bool:
    resolve_refs(db, Employee, participant_ids, pointer="/participant_ids/{i}", what="employee")
    return set_links(
        db,
        col(PracticeReviewParticipant.review_id),
        col(PracticeReviewParticipant.employee_id),
        review,
        participant_ids,
    )


def practice_reviews_public(
    db: Session, reviews: Sequence[PracticeReview]
) -> list[PracticeReviewPublic]:
    """Reviews with their ratings and participants, in three queries whatever the count."""
    ids = [r.id for r in reviews]
    ratings: dict[uuid.UUID, list[SkillRating]] = defaultdict(list)
    people = linked_ids(
        db,
        col(PracticeReviewParticipant.review_id),
        col(PracticeReviewParticipant.employee_id),
        ids,
    )
    if ids:
        for row in db.exec(
            select(PracticeReviewRating)
            .where(col(PracticeReviewRating.review_id).in_(ids))
            .order_by(col(PracticeReviewRating.id))
        ):
            ratings[row.review_id].append(render(SkillRating, row))
    return [
        render(
            PracticeReviewPublic,
            r,
            ratings=ratings.get(r.id, []),
            participant_ids=people.get(r.id, []),
        )
        for r in reviews
    ]


def create_practice_review(
    db: Session, *, data: PracticeReviewCreate, settings: OrganisationSettings, today: date
) -> PracticeReview:
    """A held review; the next one is due after the organisation's interval unless given."""
    resolve_ref(db, Team, data.team_id, pointer="/team_id", what="team")
    refuse_if_in_future(data.held_on, today)
    next_review_on = data.next_review_on or default_next_review_on(data.held_on, settings)
    _check_next_review(data.held_on, next_review_on)
    review = PracticeReview(
        team_id=data.team_id,
        held_on=data.held_on,
        next_review_on=next_review_on,
        summary=data.summary,
    )
    db.add(review)
    db.flush()
    _set_ratings(db, review, data.ratings)
    _set_participants(db, review, data.participant_ids)
    db.flush()
    return review


def update_practice_review(
    db: Session,
    *,
    review: PracticeReview,
    data: PracticeReviewUpdate,
    settings: OrganisationSettings,
    today: date,
) -> PracticeReview:
    """Change a review; a new held_on without next_review_on moves the next one along."""
    changes = data.model_dump(exclude_unset=True, exclude={"ratings", "participant_ids"})
    held_on = changes.get("held_on", review.held_on)
    refuse_if_in_future(held_on, today)
    if "held_on" in changes and "next_review_on" not in changes:
        changes["next_review_on"] = default_next_review_on(held_on, settings)
    _check_next_review(held_on, changes.get("next_review_on", review.next_review_on))
    apply_changes(review, changes)
    if data.ratings is not None:
        _set_ratings(db, review, data.ratings)
        touch(review)
    if data.participant_ids is not None and _set_participants(db, review, data.participant_ids):
        touch(review)
    db.flush()
    return review


def delete_practice_review(db: Session, *, review: PracticeReview) -> None:
    """Delete a review; its follow-up items stay, without a source."""
    db.delete(review)
    db.flush()


class PracticeReviewFilters(HeldFilters):
    team_id: uuid.UUID | None = None


PRACTICE_REVIEW_LIST = Listing(
    model=PracticeReview,
    filters=PracticeReviewFilters,
    public=PracticeReviewPublic,
    render=practice_reviews_public,
    doc="Practice reviews with their skill ratings; filter by team and period.",
)
