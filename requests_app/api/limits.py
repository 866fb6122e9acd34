"""Abuse limits on the API: `requests_app.ratelimit` as DRF's 429 (with `Retry-After`)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail

from portal.plugins.api import Membership
from requests_app import ratelimit


class RateLimitExceeded(exceptions.Throttled):
    """DRF's 429 (it sets `Retry-After` from `wait`) with the limit's own message."""

    def __init__(self, limited: ratelimit.RateLimited) -> None:
        super().__init__(wait=limited.retry_after)
        self.detail = ErrorDetail(str(limited), code=self.default_code)


def consume(membership: Membership, action_name: str) -> None:
    try:
        ratelimit.consume(action_name, tenant_id=membership.tenant_id, user_id=membership.user_id)
    except ratelimit.RateLimited as exc:
        raise RateLimitExceeded(exc) from None
