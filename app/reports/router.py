"""HTTP routes of the reports domain."""

from fastapi import APIRouter

router = APIRouter()
