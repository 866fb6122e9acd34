"""The XSS corpus and the world that carries it through every field users can write.

`build_xss_world` files every payload of `xss_payloads.txt` into every Markdown and text field of the
product, through the same services the pages and the API use (no HTTP per payload): teams, capabilities
(with links, tags, dependencies, status updates), releases (published and draft), feature requests (with
plain, official and internal comments, a triage note and a recorded vote), webhook endpoints with routes,
and follows with their labels. It returns the pages that show them; the plain Django test
(test_xss_html.py) and the headless Chromium test (test_xss_browser.py) walk that list.

The browser fixtures are shared with tests/e2e through tests/browser.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tests.browser import browser  # noqa: F401  (the session-wide Chromium, shared with tests/e2e)

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")
ESCAPES = {"\\n": "\n", "\\0": "\0", "\\t": "\t"}
# Pages list 50 capabilities, 25 releases and 25 requests; the inbox shows 100 items: each reader follows
# the capabilities of one chunk of carriers, so every release and status update lands in some inbox.
CATALOG_PAGE, CHANGELOG_PAGE, BOARD_PAGE, READER_CHUNK = 50, 25, 25, 40


def load_payloads() -> list[str]:
    """The corpus, one payload per non-comment line, with the file's `\\n`/`\\0`/`\\t` escapes applied."""
    payloads = []
    for line in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        for escape, char in ESCAPES.items():
            line = line.replace(escape, char)
        payloads.append(line)
    return payloads


PAYLOADS = load_payloads()


@dataclass
class XssWorld:
    tenant: Any
    admin: Any  # tenant admin: sees every page, internal notes, every team's endpoints
    readers: list[Any]  # each follows one chunk of capabilities; their inboxes show the notifications
    pages: list[str] = field(default_factory=list)  # shown to the admin, in the browser too
    extra_pages: list[str] = field(default_factory=list)  # shown to the admin, checked as HTML only
    reader_pages: list[str] = field(default_factory=list)  # shown to each reader (inbox, preferences)
    refused: dict[str, int] = field(default_factory=dict)  # field -> payloads its validation refused


def pack(payloads: list[str], limit: int) -> list[str]:
    """Payloads joined by spaces into as few strings of at most `limit` characters as they fit in (a longer
    payload is cut to `limit`): short columns carry several payloads, and each still arrives whole."""
    packs: list[str] = []
    for payload in payloads:
        payload = payload[:limit].strip() or "x"
        if packs and len(packs[-1]) + 1 + len(payload) <= limit:
            packs[-1] += " " + payload
        else:
            packs.append(payload)
    return packs


def build_xss_world(payloads: list[str] | None = None, slug: str = "xss") -> XssWorld:
    """One carrier of each kind per 200-character pack of payloads: every text field holds the pack (a
    100-character field as many of its payloads as fit, endpoints one per 100-character pack), every
    Markdown field the same payloads as separate paragraphs."""
    from django.db import connection

    from catalog import services as catalog_services
    from catalog.releases import services as release_services
    from catalog.services import validate_http_url
    from portal.accounts import services as account_services
    from portal.accounts.models import TeamRole
    from portal.notifications.models import ChannelEndpoint, EndpointKind
    from portal.notifications.services import endpoints as endpoint_services
    from portal.notifications.services import subscriptions as subscription_services
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Membership, Role
    from requests_app.services import comments as comment_services
    from requests_app.services import requests as request_services
    from requests_app.services import votes as vote_services
    from tests.factories import add_member, make_tenant, make_user

    payloads = PAYLOADS if payloads is None else payloads
    if connection.vendor == "postgresql":
        # PostgreSQL text cannot hold NUL, and no user can send one: Django's and DRF's text fields refuse
        # it with a 400 (ProhibitNullCharactersValidator). SQLite stores it, so there the NUL forms run as
        # written; here they run without the NUL (which is what the browser tokenizer makes of most of them).
        payloads = [payload.replace("\0", "") for payload in payloads]
    groups: list[list[str]] = []
    for payload in payloads:  # the payloads of one 200-character pack
        if groups and len(" ".join([*groups[-1], payload])) <= 200:
            groups[-1].append(payload)
        else:
            groups.append([payload])
    tenant = make_tenant(slug, name="XSS tenant")
    admin = make_user(f"{slug}-admin")
    add_member(tenant, admin, Role.ADMIN)
    colleague = make_user(f"{slug}-colleague")
    add_member(tenant, colleague, Role.MEMBER)
    readers = []
    for k in range(math.ceil(len(groups) / READER_CHUNK)):
        reader = make_user(f"{slug}-reader{k}")
        add_member(tenant, reader, Role.MEMBER)
        readers.append(reader)
    world = XssWorld(tenant=tenant, admin=admin, readers=readers)

    with tenant_context(tenant):
        for user in (admin, colleague, *readers):  # the inbox is what is under test, not SMTP
            subscription_services.preference_set(user=user, channel="email", frequency="off")
        membership = Membership.objects.get(user=admin)
        previous = None
        for i, group in enumerate(groups):
            text, markdown = pack(group, 200)[0], "\n\n".join(group)
            team = account_services.team_create(
                name=text, slug=f"xss-team-{i}", description=" ".join(group), chat_channel=text
            )
            account_services.team_member_set(team=team, user=admin, role=TeamRole.MAINTAINER)
            # A payload that makes a valid http(s) URL (quotes and all) also goes into hrefs.
            urls = []
            for payload in group:
                try:
                    validate_http_url(f"https://docs.example.invalid/{payload}", "links")
                except ValidationError:
                    world.refused["links.url"] = world.refused.get("links.url", 0) + 1
                else:
                    urls.append(f"https://docs.example.invalid/{payload}")
            capability = catalog_services.capability_create(
                owner_team=team,
                name=text,
                slug=f"xss-{i}",
                summary=" ".join(group)[:300],
                description=markdown,
                category=pack(group, 100)[0],
                support_channel=text,
                slo_text=markdown,
                oncall_url=urls[0] if urls else "",
                tags=group,
                links=[
                    ("docs", payload[:200].strip() or "x", "https://docs.example.invalid/")
                    for payload in group
                ]
                + [("runbook", "runbook", url) for url in urls],
                dependencies=[previous] if previous else [],
            )
            release_services.status_update_post(
                capability=capability, message=markdown, status="degraded", user=admin
            )
            subscription_services.subscription_follow(
                user=readers[i // READER_CHUNK],
                topic_kind="capability",
                topic_id=capability.pk,
                topic_label=text,
            )

            feature_request = request_services.request_create(
                membership=membership, title=text, body=markdown, capability=capability, tags=group
            )
            for official, internal in ((False, False), (True, False), (False, True)):
                comment_services.comment_create(
                    membership=membership, feature_request=feature_request, body=markdown,
                    official=official, internal=internal,
                )  # fmt: skip
            request_services.request_set_status(
                membership=membership, feature_request=feature_request, status="planned", note=markdown
            )
            vote_services.vote_record(
                membership=membership, feature_request=feature_request, username=colleague.username,
                note=" ".join(group)[:300],
            )  # fmt: skip
            subscription_services.subscription_follow(
                user=admin, topic_kind="request", topic_id=feature_request.pk, topic_label=text
            )

            release = release_services.release_create(
                capability=capability, version=f"1.{i}.0", title=text, notes=markdown, kind="breaking",
                upgrade_notes=markdown, ships_request_numbers=[feature_request.number] if i % 2 == 0 else [],
            )  # fmt: skip
            release_services.release_publish(release=release, user=admin)
            draft = release_services.release_create(
                capability=capability, version=f"2.{i}.0", title=text, notes=markdown
            )  # a draft: shown to maintainers on the capability page and the release page

            endpoints = []
            for name in pack(group, 100):
                # Registering an endpoint checks (and will resolve) its URL; its name is what is under test
                # here, so the row is written the way endpoint_create writes it, with a URL nobody calls.
                # Disabled, so no send is ever attempted.
                endpoint = ChannelEndpoint(
                    team=team, kind=EndpointKind.WEBHOOK, name=name, created_by=admin, enabled=False,
                    disabled_reason=name,
                )  # fmt: skip
                endpoint.set_url("https://hooks.example.invalid/agora")
                endpoint.set_secret("not-a-secret")
                endpoint.save()
                endpoint_services.route_add(
                    endpoint=endpoint, topic_kind="capability", topic_id=capability.pk, topic_label=text
                )
                endpoints.append(endpoint)

            world.pages += [
                f"catalog/xss-{i}/",
                f"catalog/releases/{release.pk}/",
                f"catalog/releases/{draft.pk}/",
                f"requests/{feature_request.number}/",
                f"teams/xss-team-{i}/",
            ]
            world.extra_pages += [f"notifications/endpoints/{e.pk}/" for e in endpoints]
            world.extra_pages += [f"catalog/xss-{i}/changelog/", f"catalog/xss-{i}/status/"]
            previous = capability

    n = len(groups)
    lists = ["", "teams/", "catalog/feeds/", "catalog/status/", "requests/roadmap/", "notifications/"]
    lists += ["notifications/endpoints/", "notifications/inbox/", "catalog/mine/"]
    lists += [f"catalog/?page={p}" for p in range(1, math.ceil(n / CATALOG_PAGE) + 1)]
    lists += [f"catalog/changelog/?page={p}" for p in range(1, math.ceil(2 * n / CHANGELOG_PAGE) + 1)]
    lists += [f"requests/?page={p}" for p in range(1, math.ceil(n / BOARD_PAGE) + 1)]
    world.pages = [f"/t/{slug}/{p}" for p in lists + world.pages]
    world.extra_pages = [f"/t/{slug}/{p}" for p in world.extra_pages]
    world.reader_pages = [f"/t/{slug}/{p}" for p in ("notifications/inbox/", "notifications/")]
    return world


@pytest.fixture
def xss_world(db) -> XssWorld:
    return build_xss_world()
