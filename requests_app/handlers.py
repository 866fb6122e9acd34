"""Event handlers of the board (registered in `RequestsPlugin.event_handlers`).

- `catalog.release_published`: the release's `ships_request_numbers` become shipped, which tells their
  author "Your request #4 shipped in Kafka Topics 2.3.0", their voters "A request you voted for shipped"
  and their other followers "A request you follow shipped" (closing the loop).
- `requests.status_changed`, `requests.official_response`, `requests.merged`: a notification to the
  recipients the service listed in the event (followers at that moment, minus whoever acted).

The events dispatcher runs each handler once per event; `notification_publish` is idempotent on its key and
`requests_ship` skips what is already shipped, so a retried handler neither notifies nor ships twice.
"""

from __future__ import annotations

from portal.plugins.api import Event, notification_publish
from requests_app import services
from requests_app.workflow import LABELS


def ship_requests_of_release(event: Event) -> None:
    payload = event.payload
    numbers = payload.get("ships_request_numbers") or []
    if not numbers:
        return
    services.requests_ship(
        numbers=numbers,
        capability_id=payload["capability_id"],
        shipped_in=f"{payload['capability_name']} {payload['version']}",
        url=payload.get("url", ""),
        actor_id=payload.get("published_by_id"),
    )


def _publish(
    event: Event,
    *,
    title: str,
    body: str,
    url: str | None = None,
    recipients: list[int] | None = None,
    key_suffix: str = "",
) -> None:
    payload = event.payload
    notification_publish(
        key=f"event:{event.pk}{key_suffix}",
        topic_kind="request",
        topic_id=payload["request_id"],
        category="request",
        title=title,
        body_markdown=body,
        url=url or payload["url"],
        recipient_user_ids=(payload.get("recipient_user_ids") or []) if recipients is None else recipients,
        topic_label=f"#{payload['number']} {payload['title']}",
    )


def notify_status_changed(event: Event) -> None:
    p = event.payload
    lines = [f"**{p['title']}** is now *{LABELS.get(p['to_status'], p['to_status']).lower()}*."]
    if p.get("note"):
        lines += ["", p["note"]]
    body = "\n".join(lines)
    if p["to_status"] == "shipped" and p.get("shipped_in"):
        _notify_shipped(event, body=body)
        return
    title = f"#{p['number']} {p['title']}: {LABELS.get(p['to_status'], p['to_status']).lower()}"
    _publish(event, title=title, body=body)


def _notify_shipped(event: Event, *, body: str) -> None:
    """One notification per audience, each worded for it: the author ("Your request ... shipped"), the
    voters ("A request you voted for shipped"), everybody else who follows it ("A request you follow
    shipped"). Each has its own key, so a retried handler still sends each once."""
    p = event.payload
    recipients = set(p.get("recipient_user_ids") or [])  # the followers (muted ones and the actor left out)
    author = {p.get("author_id")} & recipients
    voters = (set(p.get("voter_ids") or []) & recipients) - author
    others = recipients - author - voters
    what = f"#{p['number']} {p['title']}"
    for key_suffix, title, audience in (
        (":author", f"Your request #{p['number']} shipped in {p['shipped_in']}", author),
        (":voters", f"A request you voted for shipped in {p['shipped_in']}: {what}", voters),
        ("", f"A request you follow shipped in {p['shipped_in']}: {what}", others),
    ):
        if audience:
            _publish(event, title=title, body=body, recipients=sorted(audience), key_suffix=key_suffix)


def notify_official_response(event: Event) -> None:
    p = event.payload
    _publish(event, title=f"Official response on #{p['number']} {p['title']}", body=p.get("body", ""))


def notify_merged(event: Event) -> None:
    p = event.payload
    body = (
        f"#{p['number']} {p['title']} was merged into #{p['target_number']} {p['target_title']}. "
        "Your vote and your follow moved with it."
    )
    if p.get("note"):
        body += "\n\n" + p["note"]
    _publish(
        event,
        title=f"#{p['number']} was merged into #{p['target_number']} {p['target_title']}",
        body=body,
        url=p.get("target_url"),
    )
