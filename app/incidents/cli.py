"""``veerkracht purge-incidents``: delete incidents past each organisation's retention period.

Run it daily (cron, a Kubernetes CronJob): incident details are sensitive personal data and
are kept no longer than the organisation's ``incident_retention_years`` (default 5).
"""

import argparse
import sys

from sqlmodel import col, select

from app.cli import command, ensure_schema
from app.core.dates import today
from app.core.engine import new_session
from app.core.tenancy import bind_organisation
from app.incidents import service
from app.organisation.models import Organisation


def _purge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
    )


@command(
    "purge-incidents",
    "delete incidents older than each organisation's retention period (default 5 years)",
    _purge_args,
)
def purge_incidents(args: argparse.Namespace) -> int:
    ensure_schema()
    day = today()
    total = 0
    with new_session() as session:
        orgs = session.exec(select(Organisation).order_by(col(Organisation.id))).all()
    for org in orgs:
        # One transaction per organisation: one that fails leaves the others purged.
        with new_session() as session:
            bind_organisation(session, org.id)
            purged = service.purge_incidents(
                session,
                today=day,
                retention_years=org.settings.incident_retention_years,
                dry_run=args.dry_run,
            )
            session.commit()
        total += purged.incidents
        verb = "would delete" if args.dry_run else "deleted"
        sys.stdout.write(
            f"{org.name}: {verb} {purged.incidents} incident(s) before {purged.before}\n"
        )
    verb = "would delete" if args.dry_run else "deleted"
    sys.stdout.write(f"{verb} {total} incident(s) in total\n")
    return 0
