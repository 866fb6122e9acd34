"""The current tenant (and user) of this unit of work, held in a context variable.

The middleware sets it for a request, the API authentication for a token, and Celery tasks set it explicitly
from the `tenant_id` they receive. Nothing reads "the current tenant" from a global or a thread-local.
The PostgreSQL backend copies it into `agora.tenant_id` / `agora.user_id` before every statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.tenancy.models import Tenant


@dataclass(frozen=True)
class TenantScope:
    tenant: Tenant | None
    user_id: int | None = None

    @property
    def tenant_id(self) -> int | None:
        return self.tenant.pk if self.tenant is not None else None


_EMPTY = TenantScope(tenant=None)
_scope: ContextVar[TenantScope] = ContextVar("agora_tenant_scope", default=_EMPTY)
_introspecting: ContextVar[bool] = ContextVar("agora_introspecting", default=False)


class NoTenantError(RuntimeError):
    """A tenant-owned table was queried outside any tenant context."""


def current_scope() -> TenantScope:
    return _scope.get()


def get_current_tenant() -> Tenant | None:
    return _scope.get().tenant


def require_current_tenant() -> Tenant:
    tenant = _scope.get().tenant
    if tenant is None:
        raise NoTenantError(
            "No current tenant: wrap the code in portal.tenancy.context.tenant_context(tenant) "
            "(tasks receive tenant_id explicitly)."
        )
    return tenant


@contextmanager
def tenant_context(tenant: Tenant | None, *, user_id: int | None = None) -> Iterator[Tenant | None]:
    """Run a block as `tenant` (and, for membership lookups, as `user_id`). Nests and restores."""
    token = _scope.set(TenantScope(tenant=tenant, user_id=user_id))
    try:
        yield tenant
    finally:
        _scope.reset(token)


@contextmanager
def user_context(user_id: int | None) -> Iterator[None]:
    """Keep the tenant, add the user: lets a user see their own memberships in every tenant."""
    current = _scope.get()
    token = _scope.set(TenantScope(tenant=current.tenant, user_id=user_id))
    try:
        yield
    finally:
        _scope.reset(token)


def activate(tenant: Tenant | None, *, user_id: int | None) -> None:
    """Set the scope for the rest of the current request, without a block.

    Only for request-time authentication (API tokens), where the tenant is known after the middleware ran;
    the middleware's own scope restores the previous value when the request ends.
    """
    _scope.set(TenantScope(tenant=tenant, user_id=user_id))


def is_introspecting() -> bool:
    return _introspecting.get()


@contextmanager
def introspection() -> Iterator[None]:
    """Let tenant managers answer empty querysets instead of raising, for code that only needs the model.

    The OpenAPI generator calls every viewset's get_queryset() outside any request to learn its model;
    inside this block those calls get `Model.objects.none()`, which never touches a row.
    """
    token = _introspecting.set(True)
    try:
        yield
    finally:
        _introspecting.reset(token)
