"""Catalog at scale: the catalog page and `/api/v1/capabilities/` (list, search, a facet filter, sort) at
20,000 capabilities with 200,000 links + dependencies, against the very same at 200, served by gunicorn
with production settings; plus the catalog list at 20k against a minimal authenticated view (the tenant
home) on the same server. Also prints the SQL queries per request of every URL on both sides.

    .venv/bin/python bench/catalog.py                 # full size
    BENCH_SCALE=0.1 .venv/bin/python bench/catalog.py # 2,000 vs 200 capabilities, quicker

Goals (never asserted): large/small throughput >= 0.8x for every URL; catalog list / minimal view >= 0.5x;
queries per request equal on both sides and <= 8 for the API list.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The repository root instead of bench/ (bench/catalog.py would shadow the `catalog` app otherwise).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import common  # noqa: E402
from bench.common import progress  # noqa: E402

LARGE = common.scaled(20_000, 200)
SMALL = 200
LINKS_PER_CAP = 6  # links + dependencies = 10 per capability: 200,000 at 20,000
DEPS_PER_CAP = 4
TAGS = 200
# One tag that every third capability carries, and a category that three in ten belong to: the facet
# filters the bench measures fill a page (PAGE_SIZE 50) on both sides, so the ratio compares scale, not how
# many cards a page renders (with a rare tag the small side rendered three).
POPULAR_TAG = "platform"
WORDS = (  # noqa: SIM905 (reads better as words)
    "kafka postgres redis runner dns ingress vault secrets metrics tracing logging queue cache "
    "storage object block search gateway mesh identity oauth billing mail sms feature flags build "
    "deploy canary backup archive analytics warehouse stream batch scheduler cron registry artifact "
    "container lambda"
).split()
CATEGORIES = [
    "Data",
    "Compute",
    "Networking",
    "Security",
    "Observability",
    "Delivery",
    "Messaging",
    "Storage",
]

# The stored document exactly as catalog.search.refresh writes it (weights A, B, B, B, C; tags by name).
SEARCH_SQL = """
UPDATE catalog_capability c SET search_vector =
    setweight(to_tsvector('english'::regconfig, COALESCE(c.name, '')), 'A')
 || setweight(to_tsvector('english'::regconfig, COALESCE(c.summary, '')), 'B')
 || setweight(to_tsvector('english'::regconfig, COALESCE(tg.names, '')), 'B')
 || setweight(to_tsvector('english'::regconfig, COALESCE(c.category, '')), 'B')
 || setweight(to_tsvector('english'::regconfig, COALESCE(c.description, '')), 'C')
FROM (
    SELECT c2.id, (SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM catalog_capabilitytag ct
                   JOIN catalog_tag t ON t.id = ct.tag_id WHERE ct.capability_id = c2.id) AS names
    FROM catalog_capability c2 WHERE c2.tenant_id = %(t)s
) tg WHERE tg.id = c.id
"""


def generate(db: str, n: int) -> common.World:
    """Tenant, teams and people through the ORM; capabilities, tags, links and dependencies in SQL."""
    common.use_database(db)
    world = common.make_world(teams=max(10, n // 100), users=8)
    team_ids = [t.pk for t in world.teams]
    params = {
        "t": world.tenant.pk,
        "n": n,
        "teams": team_ids,
        "words": WORDS,
        "cats": CATEGORIES,
        "lifecycles": ["experimental", "beta", "ga", "ga", "ga", "deprecated"],
        "statuses": ["operational"] * 8 + ["degraded", "maintenance"],
        "tags": TAGS,
    }
    with common.owner_connection(db) as conn:
        conn.execute(
            """
            INSERT INTO catalog_capability (tenant_id, name, slug, summary, description, category, lifecycle,
                owner_team_id, support_channel, oncall_url, contact_email, slo_text, slo_target, visibility,
                source_kind, source_type, source_namespace, source_name, status, status_message, archived,
                created_at, updated_at)
            SELECT %(t)s,
                initcap(w1) || ' ' || initcap(w2) || ' ' || i,
                'cap-' || i,
                'Managed ' || w1 || ' for ' || w2 || ' workloads, self-service',
                '## ' || initcap(w1) || E'\n\nRequest access, read the runbook, ask in the channel. ' ||
                    repeat('It scales with your ' || w2 || ' needs. ', 5),
                CASE WHEN i %% 10 < 3 THEN (%(cats)s::text[])[1]
                     ELSE (%(cats)s::text[])[2 + i %% (cardinality(%(cats)s::text[]) - 1)] END,
                (%(lifecycles)s::text[])[1 + i %% 6],
                (%(teams)s::bigint[])[1 + i %% cardinality(%(teams)s::bigint[])],
                '#cap-' || i, '', '', '', NULL,
                CASE WHEN i %% 50 = 0 THEN 'teams' ELSE 'tenant' END,
                '', '', '', '',
                (%(statuses)s::text[])[1 + i %% 10], '', i %% 97 = 0,
                now() - make_interval(mins => i), now() - make_interval(mins => (i * 7919) %% %(n)s)
            FROM generate_series(1, %(n)s) AS i,
                 LATERAL (SELECT (%(words)s::text[])[1 + i %% 40] AS w1,
                                 (%(words)s::text[])[1 + (i / 40) %% 40] AS w2) AS w
            """,
            params,
        )
        conn.execute(
            "INSERT INTO catalog_tag (tenant_id, name) SELECT %(t)s, (%(words)s::text[])[1 + (k - 1) %% 40] "
            "|| '-' || k FROM generate_series(1, %(tags)s) AS k",
            params,
        )
        conn.execute(
            """
            INSERT INTO catalog_capabilitytag (tenant_id, capability_id, tag_id)
            SELECT %(t)s, c.id, tg.id FROM catalog_capability c
            CROSS JOIN generate_series(0, 2) AS k
            JOIN LATERAL (SELECT id FROM catalog_tag WHERE tenant_id = %(t)s ORDER BY id
                          OFFSET ((c.id * 7 + k * 61) %% %(tags)s) LIMIT 1) AS tg ON true
            WHERE c.tenant_id = %(t)s
            ON CONFLICT DO NOTHING
            """,
            params,
        )
        conn.execute(
            "INSERT INTO catalog_tag (tenant_id, name) VALUES (%(t)s, %(popular)s)",
            params | {"popular": POPULAR_TAG},
        )
        conn.execute(
            """
            INSERT INTO catalog_capabilitytag (tenant_id, capability_id, tag_id)
            SELECT %(t)s, c.id, tg.id FROM catalog_capability c
            JOIN catalog_tag tg ON tg.tenant_id = %(t)s AND tg.name = %(popular)s
            WHERE c.tenant_id = %(t)s AND c.id %% 3 = 0
            """,
            params | {"popular": POPULAR_TAG},
        )
        conn.execute(
            """
            INSERT INTO catalog_capabilitylink (tenant_id, capability_id, kind, title, url)
            SELECT %(t)s, c.id, (ARRAY['docs','getting_started','runbook','repository','dashboard',
                                       'api_reference'])[k], 'Link ' || k,
                   'https://docs.example.com/' || c.slug || '/' || k
            FROM catalog_capability c CROSS JOIN generate_series(1, %(links)s) AS k WHERE c.tenant_id = %(t)s
            """,
            params | {"links": LINKS_PER_CAP},
        )
        conn.execute(
            """
            INSERT INTO catalog_capabilitydependency (tenant_id, capability_id, depends_on_id)
            SELECT %(t)s, c.id, lo.min_id + ((c.id - lo.min_id + k * 37 + 1) %% %(n)s)
            FROM catalog_capability c CROSS JOIN generate_series(1, %(deps)s) AS k,
                 (SELECT min(id) AS min_id FROM catalog_capability WHERE tenant_id = %(t)s) AS lo
            WHERE c.tenant_id = %(t)s
            ON CONFLICT DO NOTHING
            """,
            params | {"deps": DEPS_PER_CAP},
        )
        # A few early-access grants, so the visibility filter has real work.
        conn.execute(
            "INSERT INTO catalog_capabilityvisibility (tenant_id, capability_id, team_id) "
            "SELECT %(t)s, id, (%(teams)s::bigint[])[1 + (id * 3) %% cardinality(%(teams)s::bigint[])] "
            "FROM catalog_capability WHERE tenant_id = %(t)s AND visibility = 'teams'",
            params,
        )
        conn.execute(SEARCH_SQL, params)
        from catalog.search import TERMS_FROM_DOCUMENTS  # the lexemes one per row, as refresh() writes them

        conn.execute(TERMS_FROM_DOCUMENTS + "tenant_id = %(t)s", params)
        conn.commit()
    # The facet counts the services keep, computed once for the bulk-loaded tenant (as the app role).
    from django.db import transaction

    from catalog import facets
    from portal.tenancy.context import tenant_context

    common.use_database(db)
    with tenant_context(world.tenant), transaction.atomic():
        facets.rebuild()
    common.analyze(db)
    return world


def check_consistency(db: str, world: common.World) -> str:
    """Stored search documents equal what the service would write (a sample, recomputed by it); the
    stored facet counts equal a recount."""
    from catalog import facets, search
    from catalog.models import Capability, CapabilityDependency, CapabilityLink, SearchTerm
    from portal.tenancy.context import tenant_context

    def terms(pks) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {pk: set() for pk in pks}
        for pk, term in SearchTerm.objects.filter(capability_id__in=pks).values_list("capability_id", "term"):
            found[pk].add(term)
        return found

    common.use_database(db)
    with tenant_context(world.tenant):
        sample = list(Capability.objects.order_by("?")[:20])
        before = {c.pk: (c.search_vector, terms([c.pk])[c.pk]) for c in sample}
        for capability in sample:
            search.refresh(capability)
        vectors = dict(Capability.objects.filter(pk__in=before).values_list("pk", "search_vector"))
        after = {pk: (vectors[pk], found) for pk, found in terms(list(before)).items()}
        same = sum(before[pk] == after[pk] for pk in before)
        caps = Capability.objects.count()
        links = CapabilityLink.objects.count() + CapabilityDependency.objects.count()
        facet_rows = facets.stored()
        exact = facet_rows == facets.recount()
    return (
        f"{caps:,} capabilities, {links:,} links+dependencies; "
        f"search documents and terms {same}/{len(before)} = refresh(); "
        f"facet counts ({len(facet_rows):,} values) = recount: {'yes' if exact else 'NO'}"
    )


URLS = {
    "page list": "/t/bench/catalog/",
    "page search 'kafka'": "/t/bench/catalog/?q=kafka",
    "page search typo 'kafak'": "/t/bench/catalog/?q=kafak",
    "page facet tag": f"/t/bench/catalog/?tag={POPULAR_TAG}",
    "page facet category": "/t/bench/catalog/?category=Data",
    "page sort -updated": "/t/bench/catalog/?sort=-updated",
    "api list": "/api/v1/capabilities/",
    "api search 'kafka'": "/api/v1/capabilities/?search=kafka",
    "api facet category": "/api/v1/capabilities/?category=Data",
    "api facet tag": f"/api/v1/capabilities/?tag={POPULAR_TAG}",
    "api sort -updated": "/api/v1/capabilities/?ordering=-updated",
}
MINIMAL = ("minimal view (tenant home)", "/t/bench/")


def prepare(db: str, world: common.World) -> tuple[dict, list, list]:
    """Queries per URL (in-process, on this side's data), and the sessions and tokens its load uses."""
    from django.conf import settings

    common.use_database(db)
    user, membership = world.users[0], world.memberships[0]
    token = common.api_token(membership)
    queries = {}
    for label, url in [*URLS.items(), MINIMAL]:
        status, count = (
            common.count_queries(url, token=token)
            if url.startswith("/api/")
            else common.count_queries(url, user=user)
        )
        queries[label] = count if status == 200 else f"HTTP {status}"
    cookies = [
        {"Cookie": f"{settings.SESSION_COOKIE_NAME}={common.session_cookie(u)}"} for u in world.users[:4]
    ]
    tokens = [{"Authorization": f"Bearer {common.api_token(m)}"} for m in world.memberships[:4]]
    return queries, cookies, tokens


def measure(small: tuple[str, list, list], large: tuple[str, list, list]) -> tuple[dict, dict, object]:
    """Each URL under load on both sides' gunicorn servers, the sides alternating (common.alternate); the
    minimal view alternates with the large list."""
    results: dict[str, dict] = {"small": {}, "large": {}}
    minimal = None
    (small_db, small_cookies, small_tokens), (large_db, large_cookies, large_tokens) = small, large
    with common.gunicorn(small_db) as s_server, common.gunicorn(large_db) as l_server:
        progress("small: " + common.setup_line(s_server, "small catalog"))
        progress("large: " + common.setup_line(l_server, "large catalog") + f"; {common.ROUNDS} rounds each")
        for label, url in URLS.items():
            api = url.startswith("/api/")
            get = [[("GET", url)]]
            phases = [
                common.Phase(s_server, f"small {label}", small_tokens if api else small_cookies, get),
                common.Phase(l_server, f"large {label}", large_tokens if api else large_cookies, get),
            ]
            if label == "page list":
                phases.append(
                    common.Phase(l_server, f"large {MINIMAL[0]}", large_cookies, [[("GET", MINIMAL[1])]])
                )
            done = common.alternate(phases)
            for result in done:
                progress(common.line(result))
            results["small"][label], results["large"][label] = done[0], done[1]
            if label == "page list":
                minimal = done[2]
    return results["small"], results["large"], minimal


def main() -> None:
    common.django_setup("agora_bench_catalog_tpl")
    template, small_db, large_db = (
        "agora_bench_catalog_tpl",
        "agora_bench_catalog_small",
        "agora_bench_catalog_large",
    )
    progress("migrating a template database ...")
    common.make_template(template)
    try:
        common.recreate_database(small_db, template=template)
        common.recreate_database(large_db, template=template)
        progress(f"generating {SMALL:,} capabilities ...")
        small_world = generate(small_db, SMALL)
        progress(f"generating {LARGE:,} capabilities ...")
        large_world = generate(large_db, LARGE)
        progress("small: " + check_consistency(small_db, small_world))
        progress("large: " + check_consistency(large_db, large_world))
        q_small, small_cookies, small_tokens = prepare(small_db, small_world)
        q_large, large_cookies, large_tokens = prepare(large_db, large_world)
        r_small, r_large, minimal = measure(
            (small_db, small_cookies, small_tokens), (large_db, large_cookies, large_tokens)
        )
    finally:
        from django.db import connections

        connections.close_all()
        for name in (small_db, large_db, template):
            common.drop_database(name)

    print()
    print(
        f"catalog: {LARGE:,} vs {SMALL:,} capabilities ({LARGE * 10:,} vs {SMALL * 10:,} links+dependencies)"
    )
    print(f"{'SQL queries per request':<44} {'small':>7} {'large':>7}")
    for label in [*URLS, MINIMAL[0]]:
        flag = "" if q_small[label] == q_large[label] else "   <- differs"
        print(f"  {label:<42} {q_small[label]!s:>7} {q_large[label]!s:>7}{flag}")
    print(common.header())
    for label in URLS:
        print(common.line(r_small[label]))
        print(common.line(r_large[label]))
    print(common.line(minimal))
    print("ratios (throughput)")
    for label in URLS:
        print(common.ratio_line(f"{label}: large / small", r_large[label], r_small[label], 0.8))
    print(common.ratio_line("page list at large / minimal view", r_large["page list"], minimal, 0.5))
    print(common.ratio_line("api list at large / minimal view", r_large["api list"], minimal, 0.5))
    api_ok = isinstance(q_large["api list"], int) and q_large["api list"] <= 8
    print(
        f"  API list queries per request: {q_large['api list']} "
        f"(goal <= 8: {'meets' if api_ok else 'MISSES'})"
    )


if __name__ == "__main__":
    main()
