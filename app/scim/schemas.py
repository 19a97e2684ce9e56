"""The SCIM resources this service supports, declared with scim2-models.

Only what maps onto an employee or a team is declared, so ``/Schemas`` is true to what is
stored: a client (and scim2-tester) never sends an attribute that would be dropped. Derived
values (``displayName``, ``department``, ``manager``, ``groups``) are
read-only: the employee's names, team and the team's managers decide them.
"""

from enum import StrEnum
from typing import Annotated, Any

from pydantic import EmailStr, Field
from scim2_models import (
    URN,
    CaseExact,
    ComplexAttribute,
    Extension,
    Mutability,
    Reference,
    Required,
    Resource,
    Uniqueness,
)

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
EMPLOYEE_URN = "urn:ietf:params:scim:schemas:extension:veerkracht:2.0:Employee"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


class Name(ComplexAttribute):
    """The person's name: ``middleName`` is the Dutch tussenvoegsel ("van der")."""

    family_name: Annotated[str | None, Required.true] = None
    given_name: Annotated[str | None, Required.true] = None
    middle_name: str | None = None


class Email(ComplexAttribute):
    """The employee's one (work) address: the primary one (or the first) is kept; a
    `primary` flag sent along is ignored."""

    value: Annotated[EmailStr | None, Required.true] = None
    type: str | None = Field(None, examples=["work"])


class GroupMembership(ComplexAttribute):
    """The team the user belongs to (read-only: membership is written on the Group)."""

    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(  # type: ignore[name-defined]  # noqa: F821
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None


class Manager(ComplexAttribute):
    """A manager of the user's team (read-only: team managers are kept through /v1/teams)."""

    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.read_only] = Field(  # type: ignore[name-defined]  # noqa: F821
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display_name: Annotated[str | None, Mutability.read_only] = None


class EnterpriseUser(Extension):
    """The enterprise extension, as far as it maps: ``employeeNumber`` is the HR key
    (``external_id`` in /v1); ``department`` is the team's name."""

    __schema__ = URN(ENTERPRISE_URN)

    employee_number: Annotated[str | None, CaseExact.true] = Field(None, max_length=100)
    department: Annotated[str | None, Mutability.read_only] = None
    manager: Annotated[Manager | None, Mutability.read_only] = None


class EmployeeRole(StrEnum):
    """The employee's role in the method (managers are trained first)."""

    employee = "employee"
    team_manager = "team_manager"
    senior_management = "senior_management"


class VeerkrachtEmployee(Extension):
    """What the method needs beyond a person: their function group and role.

    ``functionGroup`` names one of the organisation's function groups (its external id or
    name); ``/Schemas`` lists the organisation's ones as canonical values.
    Every employee has a role: removing ``role`` (or the extension) gives the default,
    ``employee``, and clears the function group.
    """

    __schema__ = URN(EMPLOYEE_URN)

    function_group: str | None = Field(None, max_length=200)
    role: EmployeeRole | None = None


class ScimUser(Resource[EnterpriseUser | VeerkrachtEmployee]):
    """An employee as a SCIM User."""

    __schema__ = URN(USER_URN)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = Field(None, max_length=320)
    name: Annotated[Name | None, Required.true] = None
    display_name: Annotated[str | None, Mutability.read_only] = None
    emails: list[Email] | None = None
    active: bool | None = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class GroupMember(ComplexAttribute):
    """An employee in the team."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(  # type: ignore[name-defined]  # noqa: F821
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class ScimGroup(Resource[Any]):
    """A team as a SCIM Group; its members are the employees whose team it is."""

    __schema__ = URN(GROUP_URN)

    display_name: Annotated[str | None, Required.true] = Field(None, max_length=200)
    members: list[GroupMember] | None = None
