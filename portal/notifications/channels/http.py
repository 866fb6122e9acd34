"""Posting JSON to chat/webhook endpoints and turning the answer into a delivery outcome.

Standard library only (urllib): one POST per delivery needs no pooling, and redirects are refused (a
webhook that redirects is misconfigured, and following it would let an endpoint bounce our signed body
elsewhere). Answers: 2xx sent; 404/410 the endpoint is gone → disable it and tell its owners; 429 retry
after `Retry-After`; 5xx, timeouts and network errors retry with backoff; other 4xx fail at once (the
payload or the credentials are wrong; retrying cannot help) with the answer visible to the owner.
"""

from __future__ import annotations

import email.utils
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.utils import timezone

from portal.notifications import conf
from portal.notifications.models import ChannelEndpoint

USER_AGENT = "Agora-Notifications/1.0"


@dataclass(frozen=True)
class HttpResult:
    status: int | None  # None: no answer (network error, timeout)
    body: str = ""
    retry_after: float | None = None
    error: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None) -> HttpResult:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=float(conf.get("NOTIFY_HTTP_TIMEOUT"))) as response:
            return HttpResult(status=response.status, body=response.read(2000).decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        text = exc.read(2000).decode(errors="replace") if exc.fp else ""
        return HttpResult(
            status=exc.code,
            body=text,
            retry_after=parse_retry_after(exc.headers.get("Retry-After") if exc.headers else None),
            error=f"HTTP {exc.code} {exc.reason}: {text[:300]}".strip(),
        )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return HttpResult(status=None, error=f"{type(exc).__name__}: {reason}")


def record(delivery, result: HttpResult, outcome) -> None:
    """Apply an HTTP answer to the delivery and the endpoint's visible health."""
    from portal.notifications.services.endpoints import endpoint_disable

    endpoint: ChannelEndpoint = delivery.endpoint
    now = timezone.now()
    status = result.status
    if status is not None and 200 <= status < 300:
        outcome.sent(delivery)
        ChannelEndpoint.objects.filter(pk=endpoint.pk).update(last_success_at=now)
        return
    error = result.error or f"HTTP {status}"
    ChannelEndpoint.objects.filter(pk=endpoint.pk).update(last_error=error[:2000], last_error_at=now)
    if status in (404, 410):
        outcome.fail(delivery, error)
        endpoint_disable(endpoint=endpoint, reason=f"The endpoint answered {status}: it no longer exists.")
    elif status == 429:
        outcome.retry(
            delivery, error, retry_after=result.retry_after if result.retry_after is not None else 1.0
        )
    elif status is None or status >= 500 or status in (408, 409, 425):
        outcome.retry(delivery, error)
    else:
        outcome.fail(delivery, error)


def endpoint_ready(delivery, outcome) -> bool:
    """Deliveries to an endpoint that was disabled since fan-out fail instead of being sent."""
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.enabled:
        outcome.fail(delivery, "endpoint disabled")
        return False
    url = endpoint.url
    if not url.startswith("https://") and not (url.startswith("http://") and conf.webhook_allow_http()):
        outcome.fail(delivery, "endpoint URL must use https")
        return False
    return True
