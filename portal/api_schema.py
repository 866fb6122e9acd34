"""OpenAPI generation for a tenant-scoped API.

The generator inspects every viewset outside any request, so it runs inside `introspection()` where tenant
managers return empty querysets (the model is all it needs). The two authentication classes are described
once here, so every plugin's endpoints document bearer tokens and the browser session correctly.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator

from portal.tenancy.context import introspection


class TenantAwareSchemaGenerator(SchemaGenerator):
    def get_schema(self, *args: Any, **kwargs: Any) -> Any:
        with introspection():
            return super().get_schema(*args, **kwargs)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.accounts.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "agora.<tenant-slug>.<secret>",
            "description": "An API token bound to one tenant membership (`manage.py create_api_token`).",
        }


class TenantSessionScheme(OpenApiAuthenticationExtension):
    target_class = "portal.accounts.authentication.TenantSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser session; the tenant is the one last visited under /t/<tenant>/.",
        }
