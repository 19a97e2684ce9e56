"""Fixtures of the audit tests."""

import uuid

from sqlmodel import Session, select

from app.core.auth import parse_prefix
from app.organisation.models import ApiKey


def key_id(db: Session, key: str) -> uuid.UUID:
    """The id of the API key whose secret is ``key``."""
    row = db.exec(select(ApiKey).where(ApiKey.prefix == parse_prefix(key))).one()
    return row.id
