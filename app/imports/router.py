"""HTTP routes of the imports domain."""

from fastapi import APIRouter

router = APIRouter()
