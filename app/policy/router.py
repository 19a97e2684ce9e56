"""HTTP routes of the policy domain."""

from fastapi import APIRouter

router = APIRouter()
