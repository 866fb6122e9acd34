"""Demo releases, incidents and feed links, created through the services (events and notifications are real).

Called from `CatalogPlugin.demo_data` after the capabilities exist. Times are moved into the past afterwards
(demo only) so the changelog and status history look lived-in. Some releases ship feature requests (acme
#1-#3, globex #101): only the numbers are given; the requests plugin resolves them when the publish events
are dispatched (after the demo transaction commits, when its demo requests exist).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from catalog.models import Capability
from catalog.releases import feedtokens, services
from catalog.releases.models import Release, StatusUpdate
from portal.plugins.api import Membership

# (capability slug, author, version, kind, title, notes, upgrade notes, ships, days ago or None for a draft,
#  or a negative number of days for a scheduled release)
RELEASES: dict[str, list[tuple]] = {
    "acme": [
        (
            "kafka-topics",
            "bob",
            "2.3.0",
            "feature",
            "Schema checks in the topic request form",
            "The request form now validates your **Avro** or **Protobuf** schema against the registry before "
            "the topic is created, so compatibility errors show up before review.",
            "",
            [1],
            24,
        ),
        (
            "secrets-vault",
            "sven",
            "1.9.2",
            "security",
            "Token renewal race fixed",
            "Fixes a race where a renewed token could outlive its lease by up to 30 seconds. No action "
            "needed; all clusters were patched on rollout.",
            "",
            [],
            12,
        ),
        (
            "jenkins-shared-library",
            "alice",
            "4.0.0",
            "deprecation",
            "Final release: migration hints",
            "Every step now prints the equivalent **CI Runners** snippet. This is the last release; the "
            "library is switched off on 31 March.",
            "",
            [],
            9,
        ),
        (
            "kafka-topics",
            "bob",
            "2.4.0",
            "breaking",
            "Topic names follow team.domain.event",
            "New topics must be named `<team>.<domain>.<event>`; existing topics keep their names.",
            "1. Rename topics in your **topic requests** (not existing topics).\n"
            "2. Update producer configs that create topics on the fly (`auto.create.topics` is now off).",
            [2],
            5,
        ),
        (
            "ci-runners",
            "alice",
            "5.2.0",
            "feature",
            "arm64 runners for everyone",
            "Add `runs-on: arm64` to a job to build natively on Graviton runners; caches are shared "
            "with x86.",
            "",
            [3],
            2,
        ),
        (
            "global-dns",
            "olga",
            "2025.11.1",
            "fix",
            "TTL changes apply within five minutes",
            "Lowering a record's TTL no longer waits for the old TTL to expire on the authoritative servers.",
            "",
            [],
            1,
        ),
        (
            "edge-load-balancers",
            "olga",
            "3.1.0",
            "feature",
            "HTTP/3 on the edge",
            "QUIC and HTTP/3 are enabled for every host; clients fall back to HTTP/2 automatically.",
            "",
            [],
            -3,
        ),
        (
            "kafka-topics",
            "bob",
            "2.5.0",
            "feature",
            "Tiered storage for topics over 1 TB",
            "Older segments move to object storage; retention up to a year.",
            "",
            [],
            None,
        ),
    ],
    "globex": [
        (
            "managed-postgresql",
            "gina",
            "15.6",
            "fix",
            "Faster failover detection",
            "Failover now starts after 10 seconds of missed heartbeats instead of 30.",
            "",
            [],
            15,
        ),
        (
            "managed-postgresql",
            "gina",
            "16.2",
            "breaking",
            "PostgreSQL 16 for new clusters",
            "New clusters run PostgreSQL 16.",
            "Test your application against 16 before the in-place upgrade "
            "window; `pg_upgrade` runs on the weekend you choose.",
            [101],
            3,
        ),
        (
            "feature-flags",
            "gina",
            "0.9.0",
            "feature",
            "Percentage rollouts by segment",
            "Roll a flag out to 10% of one customer segment at a time.",
            "",
            [],
            None,
        ),
    ],
}

# (capability slug, author, [(status, message, resolved, hours ago)])
INCIDENTS: dict[str, list[tuple]] = {
    "acme": [
        (
            "kafka-topics",
            "bob",
            [
                (
                    "degraded",
                    "Consumer lag is growing on cluster **eu-1**; producers are not affected.",
                    False,
                    74,
                ),
                ("degraded", "A broker disk filled up; we are moving partitions off it.", False, 73),
                (
                    "operational",
                    "Lag is back to normal. Post-mortem in the #platform-streaming channel.",
                    True,
                    71,
                ),
            ],
        ),
        (
            "global-dns",
            "alice",
            [
                (
                    "major_outage",
                    "Internal zones do not resolve from the eu-west resolvers.",
                    False,
                    24 * 23 + 5,
                ),
                (
                    "partial_outage",
                    "Resolvers restarted; two of six still fail health checks.",
                    False,
                    24 * 23 + 4,
                ),
                ("operational", "All resolvers answer again. A bad zone push caused it.", True, 24 * 23 + 2),
            ],
        ),
        (
            "secrets-vault",
            "alice",
            [
                (
                    "maintenance",
                    "Planned upgrade to the new storage backend; reads keep working.",
                    False,
                    24 * 52,
                ),
                ("operational", "Upgrade finished.", True, 24 * 52 - 3),
            ],
        ),
        (
            "ci-runners",
            "alice",
            [
                (
                    "degraded",
                    "Queue times up to 10 minutes on the arm64 pool; extra runners are coming up.",
                    False,
                    3,
                ),
                (
                    "degraded",
                    "Two of four extra runner nodes are up; queue times are down to about 5 minutes.",
                    False,
                    1,
                ),
            ],
        ),
    ],
    "globex": [
        (
            "managed-postgresql",
            "gina",
            [
                (
                    "partial_outage",
                    "Backups of clusters in zone b are failing; restores still work.",
                    False,
                    50,
                ),
                ("operational", "Backups are running again and the missed ones were taken.", True, 46),
            ],
        ),
    ],
}
FEED_LINK_USERS = {"acme": "alice", "globex": "gina"}
# The demo catalog has been in use for a while: the status page's 90 days have history, not "No data".
CATALOG_AGE_DAYS = 120


def load(*, tenant: Any, users: dict[str, Any]) -> None:
    now = timezone.now()
    Capability.objects.update(created_at=now - timedelta(days=CATALOG_AGE_DAYS))
    capabilities = {c.slug: c for c in Capability.objects.all()}
    for (
        slug,
        author,
        version,
        kind,
        title,
        notes,
        upgrade,
        ships,
        days,
    ) in RELEASES.get(tenant.slug, []):
        if slug not in capabilities:
            continue
        user = users.get(author)
        release = services.release_create(
            capability=capabilities[slug], version=version, kind=kind, title=title, notes=notes,
            upgrade_notes=upgrade, user=user,
        )  # fmt: skip
        if ships:
            # The requests these ship are the board's demo data, loaded after this plugin's (in the same
            # transaction, before any event is dispatched), so the service cannot check them yet.
            Release.objects.filter(pk=release.pk).update(ships_request_numbers=sorted(ships))
        if days is None:
            continue
        if days < 0:
            services.release_schedule(release=release, at=now + timedelta(days=-days), user=user)
            continue
        services.release_publish(release=release, user=user)
        when = now - timedelta(days=days)
        Release.objects.filter(pk=release.pk).update(published_at=when, created_at=when - timedelta(days=2))
    for slug, author, updates in INCIDENTS.get(tenant.slug, []):
        if slug not in capabilities:
            continue
        for status, message, resolved, hours in updates:
            update = services.status_update_post(
                capability=capabilities[slug],
                status=None if resolved else status,
                message=message,
                resolved=resolved,
                user=users.get(author),
            )
            when = now - timedelta(hours=hours)
            StatusUpdate.objects.filter(pk=update.pk).update(created_at=when)
            if resolved:
                StatusUpdate.objects.filter(pk=update.incident_id or update.pk).update(resolved_at=when)
    username = FEED_LINK_USERS.get(tenant.slug)
    if username in users:
        membership = Membership.objects.filter(user=users[username]).first()
        if membership is not None:
            feedtokens.feed_token_issue(membership=membership)
