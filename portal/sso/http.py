"""The requests session django-allauth uses for discovery, token, userinfo and JWKS calls, behind the guard.

allauth makes its own `requests` calls (through `SocialAccountAdapter.get_requests_session`, which we
override), so it cannot use `portal.security.outbound.post`. This session applies the same rules before
every request: the URL must be https (http only with SSO_ALLOW_HTTP, default DEBUG), the host must resolve
and every address it resolves to must pass `outbound.check_address` (internal ranges refused unless
OUTBOUND_ALLOWED_NETWORKS names them), no redirects, no proxies from the environment, a timeout. Issuer URLs
are also checked when an admin saves them (`outbound.check_url`).

Known gap, documented in the README: `requests` resolves the name again when it connects, so unlike
`outbound.post` the connection is not pinned to the checked address (a DNS rebinding window between check
and connect). The endpoints contacted are the issuer's own discovery document's, set by a tenant admin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from portal.security import outbound


class OutboundRefusedError(requests.exceptions.InvalidURL):
    """The guard refused the URL; allauth turns any RequestException into its authentication error page."""


def allow_http() -> bool:
    return bool(getattr(settings, "SSO_ALLOW_HTTP", False))


def check_request_url(url: str) -> None:
    """Refuse unless `url` is an allowed scheme and every address of its host is allowed now."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefusedError("The URL must be an absolute https:// URL.")
    if parts.scheme == "http" and not allow_http():
        raise OutboundRefusedError("The URL must use https.")
    if parts.username or parts.password:
        raise OutboundRefusedError("Credentials in the URL are not supported.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        outbound.checked_addresses(parts.hostname, port)
    except outbound.OutboundRefused as exc:
        raise OutboundRefusedError(str(exc)) from None
    except (LookupError, ValueError):
        raise requests.exceptions.ConnectionError(f"{parts.hostname} does not resolve") from None


class GuardedSession(requests.Session):
    """A requests session that checks each URL through the outbound guard and never follows redirects."""

    def __init__(self, *, timeout: float) -> None:
        super().__init__()
        self.trust_env = False  # no HTTP(S)_PROXY: a proxy would resolve the name itself, after our check
        self.max_redirects = 0
        self._timeout = timeout
        self.headers["User-Agent"] = outbound.USER_AGENT

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        check_request_url(url.decode() if isinstance(url, bytes) else url)
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def guarded_session() -> GuardedSession:
    return GuardedSession(timeout=float(getattr(settings, "SSO_HTTP_TIMEOUT", 10)))
