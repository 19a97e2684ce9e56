"""SCIM 2.0 provisioning (RFC 7643/7644): identity providers and HR suites create, change
and retire employees and teams at ``/scim/v2``, through the organisation domain's services."""
