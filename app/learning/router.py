"""HTTP routes of the learning domain."""

from fastapi import APIRouter

from app.learning import service  # noqa: F401  (registers the organisation hooks)

router = APIRouter()
