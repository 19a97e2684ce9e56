"""The discovery endpoints' documents (RFC 7644 section 4), true to what is supported:
PATCH, filters (max 200 results), sorting and ETags yes; bulk, password changes no."""

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    Patch,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
)

from app.scim.queries import COUNT_MAX
from app.scim.schemas import EnterpriseUser, ScimGroup, ScimUser, VeerkrachtEmployee

DOCS = "https://github.com/veerkracht/veerkracht#connect-your-identity-provider"


def service_provider_config(base: str) -> dict[str, Any]:
    """What this service provider supports."""
    config = ServiceProviderConfig(
        documentation_uri=DOCS,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=COUNT_MAX),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="API key",
                description="An API key with scope 'scim', sent as `Authorization: Bearer`.",
                primary=True,
            )
        ],
    )
    out = config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    out["meta"] = {
        "resourceType": "ServiceProviderConfig",
        "location": f"{base}/ServiceProviderConfig",
    }
    return out


def resource_types(base: str) -> list[dict[str, Any]]:
    """User and Group, with the User's two extensions."""
    out = []
    for model in (ScimUser, ScimGroup):
        kind = "User" if model is ScimUser else "Group"
        rt = ResourceType.from_resource(model)
        data = rt.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        data.update(id=kind, name=kind, endpoint=f"/{kind}s", description=f"{kind}s")
        data["meta"] = {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{kind}"}
        out.append(data)
    return out


def schemas(base: str, function_groups: list[str]) -> list[dict[str, Any]]:
    """The four schemas; the organisation's function groups are `functionGroup`'s canonical
    values."""
    out = []
    for model, name in (
        (ScimUser, "User"),
        (ScimGroup, "Group"),
        (EnterpriseUser, "EnterpriseUser"),
        (VeerkrachtEmployee, "Employee"),
    ):
        schema: Schema = model.to_schema()
        data = schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        data["name"] = name
        if model is VeerkrachtEmployee:
            for attribute in data["attributes"]:
                if attribute["name"] == "functionGroup" and function_groups:
                    attribute["canonicalValues"] = function_groups
        data["meta"] = {"resourceType": "Schema", "location": f"{base}/Schemas/{data['id']}"}
        out.append(data)
    return out
