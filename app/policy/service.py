"""The policy domain's public API, for its router and for other domains.

Norms live in ``norms``, the protocol lifecycle and its acknowledgements and team
discussions in ``protocols``, the protocol in force and readiness in ``readiness``.
Training rules ask ``ready_ids_at`` and selection ``protocol_ready_ids`` (seed step 2);
reports use ``readiness``.
"""

from app.policy.norms import create_norm, delete_norm, list_norms, update_norm
from app.policy.protocols import (
    CLOCK_SKEW,
    acknowledge,
    create_protocol,
    delete_protocol,
    list_acknowledgements,
    list_protocols,
    list_team_discussions,
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
    "CLOCK_SKEW",
    "READINESS_CSV_HEADER",
    "acknowledge",
    "create_norm",
    "create_protocol",
    "current_protocol",
    "delete_norm",
    "delete_protocol",
    "is_protocol_ready",
    "list_acknowledgements",
    "list_norms",
    "list_protocols",
    "list_team_discussions",
    "protocol_at",
    "protocol_ready_ids",
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
