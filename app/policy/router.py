"""HTTP routes of the policy domain: norms, protocols, acknowledgements, team discussions."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.csv import csv_openapi, csv_response, prefers_csv
from app.core.dates import today
from app.core.pagination import Page, PageQuery
from app.core.resource import Docs, Resource, validated
from app.core.responses import (
    CREATED,
    ETAG_HEADER,
    LOCATION_HEADER,
    READ,
    READ_ONE,
    WRITE_ONE,
)
from app.core.sessions import ReadSession, WriteSession
from app.policy import service
from app.policy.dependencies import (
    ProtocolDep,
    ProtocolForUpdate,
    TeamDiscussionDep,
)
from app.policy.models import (
    AcknowledgementCreate,
    AcknowledgementPublic,
    Norm,
    NormCreate,
    NormLevel,
    NormPublic,
    NormStatus,
    NormUpdate,
    Protocol,
    ProtocolCreate,
    ProtocolPublic,
    ProtocolReadiness,
    ProtocolStatus,
    ProtocolUpdate,
    TeamDiscussionCreate,
    TeamDiscussionPublic,
)

router = APIRouter()


NORMS = Resource(
    model=Norm,
    id_param="norm_id",
    schemas=(NormCreate, NormUpdate, NormPublic),
    public=validated(NormPublic),
    create=lambda db, data, _: service.create_norm(db, data=data),
    update=lambda db, norm, data, _: service.update_norm(db, norm=norm, data=data),
    delete=lambda db, norm: service.delete_norm(db, norm=norm),
    docs=Docs(
        create="Create a norm; a team norm may not mark acceptable what the organisation marks "
        "red.",
        read="One norm.",
        update="Change a norm; the result must still respect the organisation norm.",
        delete="Delete a norm no protocol includes; otherwise 409: retire it instead.",
    ),
)
PROTOCOLS = Resource(
    model=Protocol,
    id_param="protocol_id",
    schemas=(ProtocolCreate, ProtocolUpdate, ProtocolPublic),
    public=lambda db, protocol, _: service.protocols_public(db, [protocol])[0],
    create=lambda db, data, _: service.create_protocol(db, data=data),
    update=lambda db, protocol, data, _: service.update_protocol(db, protocol=protocol, data=data),
    delete=lambda db, protocol: service.delete_protocol(db, protocol=protocol),
    docs=Docs(
        create="Create a draft version; the service assigns the next version number.",
        read="One protocol version with its sections and norms.",
        update="Change a draft (409 once published); `sections` and `norm_ids` replace the lists.",
        delete="Delete a draft; published and superseded versions are kept (409).",
    ),
)


# --- norms ------------------------------------------------------------------------------


@router.get("/norms", tags=["norms"], responses=READ)
def list_norms(
    db: ReadSession,
    params: PageQuery,
    team_id: uuid.UUID | None = None,
    organisation_only: Annotated[
        bool, Query(description="Only organisation norms (no team norms).")
    ] = False,
    level: NormLevel | None = None,
    status: NormStatus | None = None,
) -> Page[NormPublic]:
    """Behaviour norms (green/orange/red); filter by team, level or status."""
    rows, cursor = service.list_norms(
        db,
        params=params,
        team_id=team_id,
        organisation_only=organisation_only,
        level=level,
        status=status,
    )
    return Page(
        items=[NormPublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=cursor,
    )


NORMS.add_routes(router)


# --- protocols --------------------------------------------------------------------------


@router.get("/protocols", tags=["protocols"], responses=READ)
def list_protocols(
    db: ReadSession, params: PageQuery, status: ProtocolStatus | None = None
) -> Page[ProtocolPublic]:
    """Versions of the aggression protocol, with sections; filter by status."""
    rows, cursor = service.list_protocols(db, params=params, status=status)
    return Page(items=service.protocols_public(db, rows), next_cursor=cursor)


@router.get("/protocols/current", tags=["protocols"], responses=READ_ONE)
def get_current_protocol(db: ReadSession, response: Response) -> ProtocolPublic:
    """The published version (404 `no-current-protocol` when none is published)."""
    protocol = service.require_current_protocol(db)
    set_etag(response, protocol)
    return service.protocols_public(db, [protocol])[0]


@router.get(
    "/protocols/current/readiness",
    tags=["protocols"],
    response_model=ProtocolReadiness,
    responses={
        **csv_openapi(
            "Readiness per team. With `Accept: text/csv`: one row per active employee "
            "(UTF-8 with BOM, `;`-separated, formula-safe)."
        ),
        **READ,
    },
)
def get_protocol_readiness(
    request: Request,
    db: ReadSession,
    team_id: uuid.UUID | None = None,
) -> ProtocolReadiness | Response:
    """Per team: how many active employees read or discussed the current protocol, and who not."""
    if prefers_csv(request):
        rows = service.readiness_csv_rows(db, team_id=team_id)
        filename = f"protocol-readiness-{today().isoformat()}.csv"
        return csv_response(rows, service.READINESS_CSV_HEADER, filename)
    return service.readiness(db, team_id=team_id)


PROTOCOLS.add_routes(router)


@router.post("/protocols/{protocol_id}/publish", tags=["protocols"], responses=WRITE_ONE)
def publish_protocol(
    protocol: ProtocolForUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> ProtocolPublic:
    """Publish a draft; the previously published version becomes superseded."""
    check_if_match(if_match, protocol)
    protocol = service.publish_protocol(db, protocol=protocol)
    set_etag(response, protocol)
    return service.protocols_public(db, [protocol])[0]


# --- acknowledgements and team discussions ----------------------------------------------


@router.get("/protocols/{protocol_id}/acknowledgements", tags=["acknowledgements"], responses=READ)
def list_acknowledgements(
    protocol: ProtocolDep,
    db: ReadSession,
    params: PageQuery,
    employee_id: uuid.UUID | None = None,
) -> Page[AcknowledgementPublic]:
    """Employees who read this version; filter by employee."""
    rows, cursor = service.list_acknowledgements(
        db, protocol=protocol, params=params, employee_id=employee_id
    )
    return Page(
        items=[AcknowledgementPublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=cursor,
    )


@router.post(
    "/protocols/{protocol_id}/acknowledgements",
    tags=["acknowledgements"],
    status_code=status.HTTP_201_CREATED,
    responses={
        **CREATED,
        200: {
            "model": AcknowledgementPublic,
            "description": "Already acknowledged: the existing record, unchanged.",
            "headers": {**ETAG_HEADER, **LOCATION_HEADER},
        },
    },
)
def create_acknowledgement(
    protocol: ProtocolForUpdate,
    data: AcknowledgementCreate,
    db: WriteSession,
    response: Response,
) -> AcknowledgementPublic:
    """Record that an employee read this version (201); a repeat returns the record (200)."""
    ack, created = service.acknowledge(db, protocol=protocol, data=data)
    if not created:
        response.status_code = status.HTTP_200_OK
    set_etag(response, ack)
    # No GET of one acknowledgement: it is the one row of its employee in the list.
    response.headers["Location"] = (
        f"/v1/protocols/{protocol.id}/acknowledgements?employee_id={ack.employee_id}"
    )
    return AcknowledgementPublic.model_validate(ack, from_attributes=True)


@router.get("/protocols/{protocol_id}/team-discussions", tags=["team-discussions"], responses=READ)
def list_team_discussions(
    protocol: ProtocolDep,
    db: ReadSession,
    params: PageQuery,
    team_id: uuid.UUID | None = None,
) -> Page[TeamDiscussionPublic]:
    """Team meetings that discussed this version; filter by team."""
    rows, cursor = service.list_team_discussions(
        db, protocol=protocol, params=params, team_id=team_id
    )
    return Page(
        items=[TeamDiscussionPublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=cursor,
    )


@router.post(
    "/protocols/{protocol_id}/team-discussions",
    tags=["team-discussions"],
    status_code=201,
    responses=CREATED,
)
def create_team_discussion(
    protocol: ProtocolForUpdate,
    data: TeamDiscussionCreate,
    db: WriteSession,
    response: Response,
) -> TeamDiscussionPublic:
    """Record that a team discussed this version in a team meeting (werkoverleg)."""
    discussion = service.record_team_discussion(db, protocol=protocol, data=data)
    set_etag(response, discussion)
    response.headers["Location"] = f"/v1/protocols/{protocol.id}/team-discussions/{discussion.id}"
    return TeamDiscussionPublic.model_validate(discussion, from_attributes=True)


@router.get(
    "/protocols/{protocol_id}/team-discussions/{team_discussion_id}",
    tags=["team-discussions"],
    responses=READ_ONE,
)
def get_team_discussion(discussion: TeamDiscussionDep, response: Response) -> TeamDiscussionPublic:
    """One team meeting that discussed this version."""
    set_etag(response, discussion)
    return TeamDiscussionPublic.model_validate(discussion, from_attributes=True)
