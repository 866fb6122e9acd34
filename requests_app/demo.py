"""Demo requests, votes, comments and triage, created through the services (events are real).

Globex's numbers start at #101: they continue those of the tracker it used before Agora (and this way
no request number of one demo tenant is also one of the other, which the cross-tenant isolation matrix needs
to try B's objects from A). Requests #1-#3 of acme and #101 of globex are shipped by the demo releases
(see catalog/releases/demo.py):
their publish events are dispatched after the demo transaction commits, when these requests exist, so the
demo shows the loop closing ("shipped in Kafka Topics 2.3.0"). Vote times are moved into the past (demo
only) so that "trending" and "top" differ.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from catalog.models import Capability
from portal.plugins.api import Membership
from requests_app import services, trending
from requests_app.models import FeatureRequest, RequestSequence, Vote

# (capability slug or None, author, title, body, tags, voters, days ago)
REQUESTS: dict[str, list[tuple]] = {
    "acme": [
        (
            "kafka-topics",
            "carol",
            "Validate schemas in the topic request form",
            "Today a bad **Avro** schema is only caught at review, a day later. Could the form check "
            "compatibility against the registry?",
            ["schemas"],
            ["dan", "sam", "olga"],
            40,
        ),
        (
            "kafka-topics",
            "dan",
            "Enforce a naming convention for new topics",
            "Half the topics are called `test`. A convention such as `<team>.<domain>.<event>` would help "
            "everyone find the right one.",
            ["naming"],
            ["carol", "alice"],
            30,
        ),
        (
            "ci-runners",
            "carol",
            "arm64 runners for native builds",
            "We build Graviton images under emulation and it takes 40 minutes.",
            ["arm64", "performance"],
            ["dan", "sam", "bob", "olga"],
            20,
        ),
        (
            "kubernetes-namespaces",
            "carol",
            "Raise namespace quotas without a ticket",
            "Quota increases take three days through the service desk. A self-service form with sane "
            "limits would unblock launches.",
            ["quotas", "self-service"],
            ["dan", "sam", "alice"],
            12,
        ),
        (
            "secrets-vault",
            "dan",
            "Rotate database credentials automatically",
            "Static database passwords live for months. Dynamic secrets with a one-day lease, please.",
            ["security"],
            ["carol", "sven"],
            9,
        ),
        (
            "splunk-indexes",
            "sam",
            "Longer retention for audit indexes",
            "Auditors ask for 400 days; indexes keep 90.",
            ["retention", "compliance"],
            ["carol"],
            6,
        ),
        (
            "global-dns",
            "carol",
            "Wildcard records for preview environments",
            "Every preview environment needs its own record today; `*.preview.example.com` would do.",
            ["previews"],
            ["dan", "sam", "bob"],
            2,
        ),
        (
            "kubernetes-namespaces",
            "dan",
            "Self-service quota increase for namespaces",
            "Same as the ticket I filed last quarter: quotas should be adjustable by the team.",
            ["quotas"],
            ["sam", "olga"],
            3,
        ),
        (
            "helm-charts",
            "dan",
            "Publish charts to an OCI registry",
            "Our deploy tooling only speaks OCI.",
            ["oci"],
            [],
            15,
        ),
        (
            None,
            "sam",
            "One status page for every platform service",
            "During incidents I check five dashboards. One page listing every capability's status would "
            "save time.",
            ["incidents"],
            ["carol", "dan", "olga", "alice", "bob"],
            1,
        ),
    ],
    "globex": [
        (
            "managed-postgresql",
            "hank",
            "PostgreSQL 16 for new clusters",
            "Logical replication improvements in 16 would simplify our CDC pipeline.",
            ["upgrade"],
            ["sam"],
            20,
        ),
        (
            "feature-flags",
            "hank",
            "Percentage rollouts by region",
            "Roll a flag out to 10% of EU traffic first.",
            ["rollouts"],
            ["sam", "gina"],
            5,
        ),
        (
            "data-lake",
            "sam",
            "Delta Lake table format",
            "Time travel and schema evolution for the lake tables.",
            ["formats"],
            ["hank"],
            2,
        ),
    ],
}
# (number, maintainer, status, public note)
TRIAGE: dict[str, list[tuple]] = {
    "acme": [
        (4, "bob", "planned", "We will ship a quota form next quarter, limits up to 2x without review."),
        (5, "sven", "in_progress", "Dynamic secrets for PostgreSQL are in testing with two teams."),
        (6, "olga", "under_review", ""),
        (9, "bob", "declined", "Charts stay in the HTTP repository until Flux supports OCI everywhere."),
    ],
    "globex": [(102, "gina", "planned", "Region targeting lands with the new evaluation engine.")],
}
# (number, author, body, official, internal)
COMMENTS: dict[str, list[tuple]] = {
    "acme": [
        (4, "dan", "Same for us: the checkout launch waited four days for a quota bump.", False, False),
        (4, "bob", "Thanks all. We will start with CPU and memory quotas; storage follows.", True, False),
        (4, "bob", "Capacity team agreed to 2x without review; above that a ticket stays.", False, True),
        (7, "bob", "Which preview tooling do you use? That decides where the record lives.", False, False),
    ],
    "globex": [
        (102, "gina", "Region rules reuse the audience definitions you already have.", True, False),
        (103, "hank", "Would this replace the Parquet exports or sit beside them?", False, False),
    ],
}
# Request numbers already used per tenant before the demo starts (see the module docstring).
FIRST_NUMBER = {"globex": 101}
MERGES = {"acme": [(8, 4, "bob")], "globex": []}


def _membership(users: dict[str, Any], name: str) -> Membership | None:
    user = users.get(name)
    return Membership.objects.filter(user=user).first() if user is not None else None


def load(*, tenant: Any, users: dict[str, Any]) -> None:
    capabilities = {c.slug: c for c in Capability.objects.all()}
    if tenant.slug in FIRST_NUMBER:
        RequestSequence.objects.create(tenant=tenant, last_number=FIRST_NUMBER[tenant.slug] - 1)
    now = timezone.now()
    created: dict[int, FeatureRequest] = {}
    for slug, author, title, body, tags, voters, days in REQUESTS.get(tenant.slug, []):
        membership = _membership(users, author)
        if membership is None:
            continue
        request = services.request_create(
            membership=membership, title=title, body=body, capability=capabilities.get(slug), tags=tags
        )
        created[request.number] = request
        for voter in voters:
            voter_membership = _membership(users, voter)
            if voter_membership is not None:
                services.vote_add(membership=voter_membership, feature_request=request)
        when = now - timedelta(days=days)
        FeatureRequest.objects.filter(pk=request.pk).update(created_at=when, updated_at=when)
        for i, vote in enumerate(Vote.objects.filter(request=request).order_by("id")):
            at = when + timedelta(hours=6 * i)
            Vote.objects.filter(pk=vote.pk).update(created_at=at, weight=trending.vote_weight(at))
        totals = Vote.objects.filter(request=request).aggregate(n=Count("id"), w=Sum("weight"))
        FeatureRequest.objects.filter(pk=request.pk).update(
            vote_count=totals["n"], trend_score=totals["w"] or 0
        )
    for number, author, body, official, internal in COMMENTS.get(tenant.slug, []):
        membership = _membership(users, author)
        if number in created and membership is not None:
            services.comment_create(
                membership=membership, feature_request=created[number], body=body, official=official,
                internal=internal,
            )  # fmt: skip
    for number, maintainer, status, note in TRIAGE.get(tenant.slug, []):
        membership = _membership(users, maintainer)
        if number in created and membership is not None:
            services.request_set_status(
                membership=membership, feature_request=created[number], status=status, note=note
            )
    for source, target, maintainer in MERGES.get(tenant.slug, []):
        membership = _membership(users, maintainer)
        if source in created and target in created and membership is not None:
            services.request_merge(
                membership=membership, source=created[source], target=created[target],
                note="Same request as #4; votes moved there.",
            )  # fmt: skip
