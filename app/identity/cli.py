"""``veerkracht dev-token``: a development access token for a role (dev only)."""

import argparse
import uuid

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.cli import command, ensure_schema
from app.core.config import get_settings
from app.core.engine import new_session
from app.core.roles import UserRole
from app.core.tenancy import bind_organisation
from app.identity import devtoken
from app.identity.models import IdentityProvider, User
from app.organisation.models import Employee


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--role", required=True, choices=[r.value for r in UserRole])
    p.add_argument(
        "--employee", help="employee id, email or external id (default: the demo's user)"
    )
    p.add_argument(
        "--organisation", help="organisation id (default: the only one with dev sign-in)"
    )


def _provider(db: Session, organisation: str | None) -> IdentityProvider:
    stmt = select(IdentityProvider).where(col(IdentityProvider.issuer) == devtoken.DEV_ISSUER)
    if organisation:
        stmt = stmt.where(col(IdentityProvider.organisation_id) == uuid.UUID(organisation))
    found = list(db.exec(stmt))
    if len(found) != 1:
        raise SystemExit(
            "veerkracht: no single organisation with dev sign-in; run `veerkracht demo` or "
            "pass --organisation"
        )
    return found[0]


def _employee(db: Session, ref: str) -> Employee:
    conditions = [col(Employee.external_id) == ref, func.lower(col(Employee.email)) == ref.lower()]
    try:
        conditions.append(col(Employee.id) == uuid.UUID(ref))
    except ValueError:
        pass
    found = db.exec(select(Employee).where(or_(*conditions))).first()
    if found is None:
        raise SystemExit(f"veerkracht: no employee {ref!r} in this organisation")
    return found


@command("dev-token", "print a development access token for a role (VEERKRACHT_DEV_TOKENS)", _args)
def dev_token(args: argparse.Namespace) -> int:
    """Print a token the dev issuer signed for a user with ``--role``."""
    if not get_settings().dev_tokens:
        raise SystemExit(
            "veerkracht: dev tokens are off; set VEERKRACHT_DEV_TOKENS=true (development only)"
        )
    ensure_schema()
    with new_session() as db:
        provider = _provider(db, args.organisation)
        bind_organisation(db, provider.organisation_id)
        employee = _employee(db, args.employee) if args.employee else None
        subject = f"dev:{args.role}" + (f":{employee.id}" if employee else "")
        user = db.exec(
            select(User).where(
                col(User.identity_provider_id) == provider.id, col(User.subject) == subject
            )
        ).first()
        if user is None:
            if employee is None:
                raise SystemExit(f"veerkracht: no demo user for {args.role}; pass --employee")
            user = User(
                identity_provider_id=provider.id,
                subject=subject,
                email=employee.email,
                name=employee.full_name,
                employee_id=employee.id,
                roles=[args.role],
            )
            db.add(user)
            db.commit()
        token = devtoken.mint(
            subject=subject,
            email=user.email,
            name=user.name,
            roles=[args.role],
            audience=provider.audience,
        )
    print(token)
    return 0
