"""The policy domain's public API, for its router and for other domains.

Norms live in ``norms``, the protocol lifecycle and its acknowledgements and team
discussions in ``protocols``, the protocol in force and readiness in ``readiness``.
Training rules ask ``ready_ids_at`` and selection ``protocol_ready_ids`` (seed step 2);
reports use ``readiness``.
"""

from app.policy.norms import NORM_LIST, create_norm, delete_norm, update_norm
from app.policy.protocols import (
    ACKNOWLEDGEMENT_LIST,
    CLOCK_SKEW,
    PROTOCOL_LIST,
    TEAM_DISCUSSION_LIST,
    acknowledge,
    check_discussions_in_meeting,
    create_protocol,
    delete_protocol,
    discussions_public,
    protocol_sections,
    protocols_public,
    publish_protocol,
    record_team_discussion,
    update_protocol,
)
from app.policy.readiness import (
    READINESS_CSV_HEADER,
    current_protocol,
    is_protocol_ready,
    protocol_at,
    protocol_ready_ids,
    readiness,
    readiness_csv_rows,
    ready_ids_at,
    require_current_protocol,
)

__all__ = [
    "ACKNOWLEDGEMENT_LIST",
    "CLOCK_SKEW",
    "NORM_LIST",
    "PROTOCOL_LIST",
    "READINESS_CSV_HEADER",
    "TEAM_DISCUSSION_LIST",
    "acknowledge",
    "check_discussions_in_meeting",
    "create_norm",
    "create_protocol",
    "current_protocol",
    "delete_norm",
    "delete_protocol",
    "discussions_public",
    "is_protocol_ready",
    "protocol_at",
    "protocol_ready_ids",
    "protocol_sections",
    "protocols_public",
    "publish_protocol",
    "readiness",
    "readiness_csv_rows",
    "ready_ids_at",
    "record_team_discussion",
    "require_current_protocol",
    "update_norm",
    "update_protocol",
]
