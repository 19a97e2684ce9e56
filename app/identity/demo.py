"""The demo organisation's part: a dev identity provider and a user for each role."""

import shlex

from sqlmodel import Session

from app.core.roles import UserRole
from app.identity.devtoken import DEV_AUDIENCE, DEV_ISSUER
from app.identity.models import IdentityProvider, User

DEMO_TRAINER = "Ellen Schipper"  # runs the management sessions of the training demo


def seed(db: Session, ctx: object) -> None:
    """Users of every role, signing in through the dev issuer (``veerkracht dev-token``)."""
    from app.demo import DemoContext

    assert isinstance(ctx, DemoContext)
    provider = IdentityProvider(
        name="Ontwikkeling (dev-token)",
        issuer=DEV_ISSUER,
        audience=f"{DEV_AUDIENCE}:{ctx.org.id}",
        group_roles={r.value: [r.value] for r in UserRole},
        create_users=False,
    )
    db.add(provider)
    db.flush()
    manager = ctx.managers["T-JW-N"]
    people = {
        UserRole.hr_admin: (ctx.senior_management[0], None),
        UserRole.hr_viewer: (ctx.senior_management[-1], None),
        UserRole.team_manager: (manager, None),
        UserRole.trainer: (None, DEMO_TRAINER),
        UserRole.employee: (ctx.staff["T-JW-N"][0], None),
    }
    for role, (employee, name) in people.items():
        db.add(
            User(
                identity_provider_id=provider.id,
                subject=f"dev:{role.value}",
                email=employee.email if employee else None,
                name=name or (employee.full_name if employee else None),
                employee_id=employee.id if employee else None,
                roles=[role.value],
            )
        )
    db.flush()
    # The commands name the database the demo went into: run from another shell, the
    # default (./veerkracht.db) would be a new, empty one.
    database = shlex.quote(db.get_bind().engine.url.render_as_string(hide_password=True))
    ctx.notes += [
        "",
        "People sign in with OpenID Connect (docs/identity.md). A dev token per role "
        "(VEERKRACHT_DEV_TOKENS=true, as ./dev up sets it):",
        *(
            f"  VEERKRACHT_DATABASE_URL={database} VEERKRACHT_DEV_TOKENS=true "
            f".venv/bin/veerkracht dev-token --role {r.value}"
            for r in UserRole
        ),
        '  then: curl -s -H "Authorization: Bearer $TOKEN" .../v1/me',
    ]
