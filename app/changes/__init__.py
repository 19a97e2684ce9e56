"""The change feed (issue 17): a transactional outbox of every change, read by cursor."""

from app.changes import outbox as outbox
