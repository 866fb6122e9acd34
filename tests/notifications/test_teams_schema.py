"""Every Adaptive Card Agora posts to Microsoft Teams is valid for the version it declares (1.4).

Teams drops (or renders as an error) a card that uses properties newer than its declared version, e.g.
`TextBlock.style: "heading"` (1.5). The cards are produced from real notifications: releases of every kind,
status updates of every status, the request-board events, Agora's own system messages, a card whose notes
had to be truncated to fit the 28 KB limit, and one of each further category (a plugin's, e.g. surveys).
Each is checked against Microsoft's 1.4 schema (tests/data/adaptivecards/, draft-06), which forbids unknown
properties on a TextBlock.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest

from catalog.models import Status
from catalog.releases import services as release_services
from catalog.releases.models import ReleaseKind
from portal.events.models import Event
from portal.events.services import event_dispatch
from portal.notifications import services as notification_services
from portal.notifications.channels import teams
from portal.notifications.models import Category, Notification
from portal.tenancy.context import tenant_context
from requests_app import services as request_services
from tests.catalog.releases.factories import capability_of, make_release
from tests.notifications.helpers import publish
from tests.requests_app.factories import make_request, membership

pytestmark = pytest.mark.django_db

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "adaptivecards" / "adaptive-card-1.4.json"
NOTES = (
    "Adds **schema checks** and `acks=all` by default.\n\n"
    "- one\n- two\n\n"
    "![diagram](https://example.com/d.png) See [the docs](https://example.com/docs).\n\n"
    "```\ncode block\n```"
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    """The schema declares draft-06; check the schema itself first, so a broken copy cannot pass vacuously."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


def card_of(notification: Notification) -> dict:
    """The Adaptive Card inside the exact bytes the Teams channel posts."""
    message = json.loads(teams.payload_bytes(notification))
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors that say what is wrong, not "not valid under any of the given schemas".

    The schema lists every element type as an `anyOf` branch; only the branches whose `type` matches the
    element's are worth reporting (an unknown `type` reports the element itself).
    """
    if not error.context:
        return [error]
    branches: dict[object, list[jsonschema.ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    type_path = [*error.absolute_path, "type"]
    fitting = [
        subs
        for subs in branches.values()
        if not any(s.validator == "enum" and list(s.absolute_path) == type_path for s in subs)
    ]
    if not fitting:
        return [error]
    return [leaf for subs in fitting for sub in subs for leaf in leaves(sub)]


def errors_of(validator: jsonschema.Draft6Validator, card: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, leaf.absolute_path))}: {leaf.message}"
        for error in validator.iter_errors(card)
        for leaf in leaves(error)
    ]


def dispatch_all(world) -> None:
    """Run the handlers of every event not dispatched yet, in order (they publish the notifications)."""
    with tenant_context(world.tenant):
        for event in Event.objects.filter(dispatched_at__isnull=True).order_by("id"):
            event_dispatch(event.pk)


@pytest.fixture
def every_notification(world_a) -> list[Notification]:
    """One notification of each kind the project publishes, made by the real services and handlers."""
    tenant = world_a.tenant
    cap = capability_of(world_a, name="Kafka Topics", slug="kafka")
    maintainer = membership(tenant, world_a.maintainer)
    wanted = make_request(tenant, world_a.member, capability=cap, title="Schema checks")
    duplicate = make_request(tenant, world_a.member, capability=cap, title="Validate schemas")
    shipped = make_request(tenant, world_a.member, capability=cap, title="Compacted topics")
    with tenant_context(tenant):
        # Requests: a status change with a note, an official response, a merge.
        request_services.request_set_status(
            membership=maintainer, feature_request=wanted, status="planned", note="Next *quarter*."
        )
        request_services.comment_create(
            membership=maintainer, feature_request=wanted, body="We are on it: see [plan](https://x.io).",
            official=True,
        )  # fmt: skip
        request_services.request_merge(membership=maintainer, source=duplicate, target=wanted)
        # Status updates: every status that opens or continues an incident, then resolved.
        for status in Status.values:
            if status != Status.OPERATIONAL:
                release_services.status_update_post(capability=cap, status=status, message=f"**{status}**")
        release_services.status_update_post(capability=cap, resolved=True, message="Back to normal.")
    # Releases of every kind; the last one ships a request ("your request shipped").
    for kind in ReleaseKind.values:
        make_release(
            tenant, cap, kind=kind, notes=NOTES, upgrade_notes="Rename `topics`.", publish=True,
            ships_request_numbers=[shipped.number] if kind == ReleaseKind.values[-1] else [],
        )  # fmt: skip
    dispatch_all(world_a)
    dispatch_all(world_a)  # the shipped request's own status event, emitted by the release handler
    with tenant_context(tenant):
        # Agora's own message: an endpoint was switched off.
        endpoint, _ = notification_services.endpoint_create(
            team=world_a.team,
            kind="teams",
            name="t",
            url="https://prod-00.westus.logic.azure.com/workflows/x",
        )
        notification_services.endpoint_disable(endpoint=endpoint, reason="The endpoint answered 410.")
    # Notes far over Teams' 28 KB: the card is cut to fit.
    publish(tenant, title="Huge notes", body_markdown="A long line of notes. " * 3000)
    publish(tenant, title="No notes at all", body_markdown="")
    with tenant_context(tenant):
        made = set(Notification.objects.values_list("category", flat=True))
    # Categories no flow above produces (a plugin's, e.g. insights surveys): a card of each all the same.
    for category in sorted(set(Category.values) - made):
        publish(tenant, category=category, title=f"A {category} notification", body_markdown=NOTES)
    with tenant_context(tenant):
        return list(Notification.objects.order_by("pk"))


def test_every_card_the_teams_channel_sends_is_valid_adaptive_card_1_4(validator, every_notification):
    notifications = every_notification
    # The fixture really covers every kind: each category, each release kind, each request event.
    assert {n.category for n in notifications} == set(Category.values)
    titles = " | ".join(n.title for n in notifications)
    for needle in (
        "planned",
        "Official response",
        "was merged into",
        "shipped in",
        "Resolved",
        "switched off",
    ):
        assert needle in titles
    published = [n for n in notifications if n.category == "release" and n.key.startswith("event:")]
    assert len(published) == len(ReleaseKind.values)
    invalid = {}
    for notification in notifications:
        card = card_of(notification)
        assert card["version"] == "1.4" and card["type"] == "AdaptiveCard"
        if problems := errors_of(validator, card):
            invalid[notification.title] = problems
    assert invalid == {}
    assert "truncated" in json.dumps(card_of(next(n for n in notifications if n.title == "Huge notes")))


def test_the_schema_rejects_a_heading_style_textblock(validator):
    """`style: "heading"` arrived in 1.5: the 1.4 schema must refuse it, or the test above proves nothing."""
    card = {
        "$schema": teams.CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": "Kafka 3.7 released", "weight": "Bolder", "wrap": True}],
    }
    assert errors_of(validator, card) == []
    card["body"][0]["style"] = "heading"
    assert errors_of(validator, card) == [
        "body/0: Additional properties are not allowed ('style' was unexpected)"
    ]
