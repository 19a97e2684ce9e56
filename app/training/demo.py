"""The training part of the demo organisation."""

from sqlmodel import Session

from app.demo import DemoContext


def seed(session: Session, ctx: DemoContext) -> None:
    """Add this domain's demo data (filled in by the training work)."""
    del session, ctx
