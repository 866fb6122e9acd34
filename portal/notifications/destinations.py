"""Where a team's chat and webhook endpoints may point, checked at registration and again at every send.

- Every kind: an absolute URL, https (http only where `NOTIFY_WEBHOOK_ALLOW_HTTP` allows it), no credentials
  in the URL, and a destination the guarded client accepts (`portal.security.outbound`: no internal address
  unless `OUTBOUND_ALLOWED_NETWORKS` names it).
- Slack: only Slack's incoming-webhook host (`NOTIFY_SLACK_HOSTS`, default `hooks.slack.com`); a
  Slack-compatible on-premise server (Mattermost, Rocket.Chat) is added there by the operator.
- Microsoft Teams: only the hosts Microsoft documents for Workflows webhooks ("Post to a channel when a
  webhook request is received"): `*.logic.azure.com` and `*.api.powerplatform.com` (`NOTIFY_TEAMS_HOSTS`).
  The old Office 365 connector URLs (`*.webhook.office.com`) were retired by Microsoft and are refused.
- Generic webhooks: any public host.

Host entries are exact names, or a leading dot for "any subdomain of" (`.logic.azure.com`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from portal.notifications import conf
from portal.security import outbound

DEFAULT_HOSTS = {
    "slack": ("hooks.slack.com",),
    "teams": (".logic.azure.com", ".api.powerplatform.com"),
}
SETTING = {"slack": "NOTIFY_SLACK_HOSTS", "teams": "NOTIFY_TEAMS_HOSTS"}
KIND_NAMES = {"slack": "Slack", "teams": "Microsoft Teams"}


def allowed_hosts(kind: str) -> tuple[str, ...] | None:
    """The hosts a kind may post to, or None when any public host will do (generic webhooks)."""
    if kind not in SETTING:
        return None
    configured = getattr(settings, SETTING[kind], None)
    hosts = DEFAULT_HOSTS[kind] if configured is None else configured
    return tuple(h.strip().lower() for h in hosts if h.strip())


def host_matches(host: str, entries: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    for entry in entries:
        if entry.startswith("."):
            if host.endswith(entry) and len(host) > len(entry):
                return True
        elif host == entry:
            return True
    return False


def problem(kind: str, url: str, *, resolve: bool = False) -> str:
    """Why `url` is not an acceptable destination for an endpoint of `kind` ("" when it is).

    `resolve=True` (registration) also resolves the host and refuses internal addresses now, so the owner
    hears it at once; at send time the guarded client does that check itself, right before it connects.
    """
    allow_http = conf.webhook_allow_http()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Enter the full webhook URL (https://...)."
    if parts.scheme == "http" and not allow_http:
        return "The webhook URL must use https."
    if parts.username or parts.password:
        return "Credentials in the URL are not supported."
    hosts = allowed_hosts(kind)
    if hosts is not None and not host_matches(parts.hostname, hosts):
        shown = ", ".join(h.lstrip(".") if not h.startswith(".") else f"*{h}" for h in hosts) or "none"
        return f"A {KIND_NAMES[kind]} endpoint must be on {shown}."
    if resolve:
        try:
            outbound.check_url(url, allow_http=allow_http)
        except outbound.OutboundRefused as exc:
            return str(exc)
    return ""
