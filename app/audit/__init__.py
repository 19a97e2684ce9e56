"""Audit trail and erasure (issue 10)."""

# Importing the package registers the session listener that records every write.
from app.audit import trail as trail
