"""HTTP routes of the followup domain."""

from fastapi import APIRouter

router = APIRouter()
