"""HTTP routes of the learning domain."""

from fastapi import APIRouter

router = APIRouter()
