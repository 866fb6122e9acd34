"""Posting JSON to chat/webhook endpoints and turning the answer into a delivery outcome.

Every request goes through the core's guarded client (`portal.security.outbound`): the destination is
resolved and checked against internal address ranges at each send, the checked address is the one connected
to, redirects are never followed (a webhook that redirects is misconfigured, and following it would let an
endpoint bounce our signed body elsewhere). Answers: 2xx sent; 404/410 the endpoint is gone → disable it and
tell its owners; 429 retry after `Retry-After`; 5xx, timeouts and network errors retry with backoff; other 4xx
and 3xx fail at once (the payload or the credentials are wrong; retrying cannot help); a refused destination
fails at once. What the owner sees is the status code and a short reason of ours, never the response body.
"""

from __future__ import annotations

from django.utils import timezone

from portal.notifications import conf, destinations
from portal.notifications.models import ChannelEndpoint
from portal.security import outbound

HttpResult = outbound.Answer


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None) -> HttpResult:
    return outbound.post(
        url,
        body,
        headers=headers,
        timeout=float(conf.get("NOTIFY_HTTP_TIMEOUT")),
        allow_http=conf.webhook_allow_http(),
    )


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
    error = result.reason
    ChannelEndpoint.objects.filter(pk=endpoint.pk).update(last_error=error[:2000], last_error_at=now)
    if result.refused:
        outcome.fail(delivery, error)
    elif status in (404, 410):
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
    problem = destinations.problem(endpoint.kind, endpoint.url)
    if problem:  # the rules may have tightened since the endpoint was registered
        outcome.fail(delivery, f"refused: {problem}")
        ChannelEndpoint.objects.filter(pk=endpoint.pk).update(
            last_error=f"refused: {problem}"[:2000], last_error_at=timezone.now()
        )
        return False
    return True
