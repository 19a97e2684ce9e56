"""Imports every table model, so Alembic and the mapper see the whole schema."""

from app.audit import models as audit_models
from app.changes import models as changes_models
from app.followup import models as followup_models
from app.identity import models as identity_models
from app.imports import models as imports_models
from app.incidents import models as incidents_models
from app.learning import models as learning_models
from app.learning import organisation_goals as learning_organisation_goals
from app.organisation import models as organisation_models
from app.policy import models as policy_models
from app.selection import models as selection_models
from app.training import method_models as training_method_models
from app.training import models as training_models
from app.webhooks import models as webhooks_models

__all__ = [
    "audit_models",
    "changes_models",
    "followup_models",
    "identity_models",
    "imports_models",
    "incidents_models",
    "learning_models",
    "learning_organisation_goals",
    "organisation_models",
    "policy_models",
    "selection_models",
    "training_method_models",
    "training_models",
    "webhooks_models",
]
