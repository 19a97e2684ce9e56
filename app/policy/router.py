"""HTTP routes of the policy domain: norms, protocols, acknowledgements, team discussions."""

import uuid

from fastapi import APIRouter, Request, Response, status

from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.csv import csv_openapi, json_or_csv
from app.core.dates import today
from app.core.dutch import CsvLanguageQuery
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
    NormPublic,
    NormUpdate,
    Protocol,
    ProtocolCreate,
    ProtocolPublic,
    ProtocolReadiness,
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


service.NORM_LIST.add_route(router)
NORMS.add_routes(router)


# --- protocols --------------------------------------------------------------------------


service.PROTOCOL_LIST.add_route(router)


@router.get("/protocols/current", tags=["protocols"], responses=READ_ONE)
def get_current_protocol(db: ReadSession, response: Response) -> ProtocolPublic:
    """The published version (404 `no-current-protocol` when none is published)."""
    protocol = service.require_current_protocol(db)
    set_etag(response, protocol)
    return service.protocols_public(db, [protocol])[0]


@router.get(
    "/protocols/current/readiness",
    dependencies=[CsvLanguageQuery],
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
    return json_or_csv(
        request,
        json=lambda: service.readiness(db, team_id=team_id),
        rows=lambda: service.readiness_csv_rows(db, team_id=team_id),
        header=service.READINESS_CSV_HEADER,
        filename=f"protocol-readiness-{today().isoformat()}.csv",
    )


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


service.ACKNOWLEDGEMENT_LIST.add_route(
    router,
    "/protocols/{protocol_id}/acknowledgements",
    name="list_acknowledgements",
    tags=["acknowledgements"],
    within=(ProtocolDep, "protocol_id"),
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


service.TEAM_DISCUSSION_LIST.add_route(
    router,
    "/protocols/{protocol_id}/team-discussions",
    name="list_team_discussions",
    tags=["team-discussions"],
    within=(ProtocolDep, "protocol_id"),
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
    """Record that a team discussed this version in a team meeting (werkoverleg), with who
    took part (default: the team's active members; only they become ready through it) and,
    optionally, the team meeting it was held in (with 'Veilig en veerkrachtig werken' on
    its agenda)."""
    discussion = service.record_team_discussion(db, protocol=protocol, data=data)
    set_etag(response, discussion)
    response.headers["Location"] = f"/v1/protocols/{protocol.id}/team-discussions/{discussion.id}"
    return service.discussions_public(db, [discussion])[0]


@router.get(
    "/protocols/{protocol_id}/team-discussions/{team_discussion_id}",
    tags=["team-discussions"],
    responses=READ_ONE,
)
def get_team_discussion(
    discussion: TeamDiscussionDep, db: ReadSession, response: Response
) -> TeamDiscussionPublic:
    """One team meeting that discussed this version, with who took part."""
    set_etag(response, discussion)
    return service.discussions_public(db, [discussion])[0]
