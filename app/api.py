"""Every domain router, mounted under /v1."""

from fastapi import APIRouter, Depends

from app.audit.router import router as audit_router
from app.core.input_guard import reject_unstorable_input
from app.followup.router import router as followup_router
from app.imports.router import router as imports_router
from app.learning.router import router as learning_router
from app.organisation.router import router as organisation_router
from app.policy.router import router as policy_router
from app.reports.router import router as reports_router
from app.selection.router import router as selection_router
from app.training.router import router as training_router

# Every /v1 route refuses NUL bytes, lone surrogates and unstorable numbers (core/input_guard).
api_router = APIRouter(prefix="/v1", dependencies=[Depends(reject_unstorable_input)])
for domain_router in (
    organisation_router,
    policy_router,
    learning_router,
    training_router,
    selection_router,
    followup_router,
    reports_router,
    imports_router,
    audit_router,
):
    api_router.include_router(domain_router)
