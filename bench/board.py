"""The feature-request board at scale: board page and `/api/v1/requests/`, sorted `top` and `trending`, at
100,000 requests with 1,000,000 votes against the same at 1,000 requests (10,000 votes), on gunicorn with
production settings. Prints the EXPLAIN (ANALYZE) of the board's main queries at the large size: index
scans in sort order, no sort of the whole table.

    .venv/bin/python bench/board.py                  # full size
    BENCH_SCALE=0.1 .venv/bin/python bench/board.py  # 10,000 requests / 100,000 votes vs 1,000

Goal (never asserted): large / small throughput >= 0.8x per URL.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository root, not bench/

from bench import common  # noqa: E402
from bench.common import progress  # noqa: E402

LARGE = common.scaled(100_000, 1_000)
SMALL = 1_000
VOTES_PER_REQUEST = 10  # on average: (i * 7919) % 21 votes on request i
VOTERS = 2_000
WORDS = (  # noqa: SIM905 (reads better as words)
    "kafka postgres redis runner dns ingress vault metrics tracing logging queue cache storage "
    "search gateway mesh identity billing build deploy canary backup stream batch scheduler "
    "registry container"
).split()


def generate(db: str, n: int, *, voters: int = VOTERS, votes: bool = True) -> common.World:
    """People through the ORM; capabilities, requests and votes in SQL, with `vote_count`, `trend_score`
    (sum of the vote weights, see requests_app.trending) and search documents computed from the rows."""
    from requests_app.trending import _HALF_LIFE_SECONDS, TREND_EPOCH

    common.use_database(db)
    world = common.make_world(teams=10, users=voters)
    params = {
        "t": world.tenant.pk,
        "n": n,
        "u": voters,
        "words": WORDS,
        "teams": [t.pk for t in world.teams],
        "users": [u.pk for u in world.users],
        "epoch": TREND_EPOCH,
        "half": _HALF_LIFE_SECONDS,
        "statuses": ["new"] * 5 + ["under_review", "planned", "in_progress", "shipped", "declined"],
    }
    with common.owner_connection(db) as conn:
        conn.execute(
            """
            INSERT INTO catalog_capability (tenant_id, name, slug, summary, description, category, lifecycle,
                owner_team_id, support_channel, oncall_url, contact_email, slo_text, visibility, source_kind,
                source_type, source_namespace, source_name, status, status_message, archived, created_at,
                updated_at)
            SELECT %(t)s, initcap(w) || ' service', w, '', '', 'Platform', 'ga',
                (%(teams)s::bigint[])[1 + k %% cardinality(%(teams)s::bigint[])], '', '', '', '', 'tenant',
                '', '', '', '', 'operational', '', false, now(), now()
            FROM unnest(%(words)s::text[]) WITH ORDINALITY AS x(w, k)
            """,
            params,
        )
        conn.execute(
            """
            INSERT INTO requests_app_featurerequest (tenant_id, number, title, body, status, vote_count,
                trend_score, comment_count, shipped_in, shipped_in_url, created_at, updated_at, author_id,
                capability_id)
            SELECT %(t)s, i,
                'Support ' || (%(words)s::text[])[1 + i %% 27] || ' '
                    || (%(words)s::text[])[1 + (i / 27) %% 27] || ' in region ' || (i %% 13),
                'We need this for our ' || (%(words)s::text[])[1 + (i / 7) %% 27] || ' rollout.',
                (%(statuses)s::text[])[1 + i %% 10], 0, 0, 0, '', '',
                now() - make_interval(mins => i), now() - make_interval(mins => (i * 7919) %% %(n)s),
                (%(users)s::int[])[1 + i %% cardinality(%(users)s::int[])],
                CASE WHEN i %% 5 = 0 THEN NULL ELSE
                    (SELECT min(id) FROM catalog_capability WHERE tenant_id = %(t)s) + i %% 27 END
            FROM generate_series(1, %(n)s) AS i
            """,
            params,
        )
        if votes:
            conn.execute(
                """
                INSERT INTO requests_app_vote (tenant_id, request_id, user_id, note, weight, created_at)
                SELECT %(t)s, r.id, (%(users)s::int[])[1 + (r.number * 13 + j * 97) %% %(u)s], '',
                    power(2, extract(epoch FROM v.at - %(epoch)s) / %(half)s), v.at
                FROM requests_app_featurerequest r
                CROSS JOIN LATERAL generate_series(1, (r.number * 7919) %% 21) AS j
                CROSS JOIN LATERAL (SELECT now() - make_interval(mins => (r.number * 31 + j * 17) %% 43200)
                                    AS at) AS v
                WHERE r.tenant_id = %(t)s
                """,
                params,
            )
            conn.execute(
                """
                UPDATE requests_app_featurerequest r SET vote_count = v.c, trend_score = v.s
                FROM (SELECT request_id, count(*) AS c, sum(weight) AS s FROM requests_app_vote
                      WHERE tenant_id = %(t)s GROUP BY request_id) AS v
                WHERE v.request_id = r.id
                """,
                params,
            )
        # As requests_app.search.refresh writes it: title (A) and body (B).
        conn.execute(
            "UPDATE requests_app_featurerequest SET search_vector = "
            "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'B') WHERE tenant_id = %(t)s",
            params,
        )
        conn.execute(
            "INSERT INTO requests_app_requestsequence (tenant_id, last_number) VALUES (%(t)s, %(n)s)", params
        )
        conn.commit()
    common.analyze(db)
    return world


def counts(db: str, world: common.World) -> tuple[int, int, int]:
    """(requests, vote rows, requests whose stored vote_count differs from their vote rows)."""
    from django.db.models import Count, F

    from portal.tenancy.context import tenant_context
    from requests_app.models import FeatureRequest, Vote

    common.use_database(db)
    with tenant_context(world.tenant):
        wrong = FeatureRequest.objects.annotate(rows=Count("votes")).exclude(rows=F("vote_count")).count()
        return FeatureRequest.objects.count(), Vote.objects.count(), wrong


URLS = {
    "page top": "/t/bench/requests/?sort=top",
    "page trending": "/t/bench/requests/?sort=trending",
    "page open, top": "/t/bench/requests/?status=open&sort=top",
    "api top": "/api/v1/requests/?ordering=top",
    "api trending": "/api/v1/requests/?ordering=trending",
}


def explain(db: str, world: common.World) -> None:
    from portal.tenancy.context import tenant_context
    from requests_app import selectors

    common.use_database(db)
    membership = world.memberships[0]
    with tenant_context(world.tenant):
        for label, kwargs in [
            ("top", {"sort": "top"}),
            ("trending", {"sort": "trending"}),
            ("open, top", {"sort": "top", "filters": {"status": "open"}}),
        ]:
            plan = selectors.request_list(membership, **kwargs)[:51].explain(analyze=True)
            lines = plan.splitlines()
            indexes = sorted({ln.split(" using ")[1].split()[0] for ln in lines if "Index Scan using" in ln})
            seqs = sorted({ln.split("Seq Scan on ")[1].split()[0] for ln in lines if "Seq Scan on " in ln})
            sorts = sum(1 for ln in lines if ln.strip().startswith("->  Sort") or ln.startswith("Sort"))
            print(
                f"EXPLAIN ANALYZE board {label} (first 51 rows): index scans {indexes}; "
                f"seq scans only on {seqs}; sort nodes: {sorts}"
            )
            for line in lines[:14]:
                print("    " + line[:150])


def measure(db: str, side: str, world: common.World) -> tuple[dict, dict]:
    from django.conf import settings

    common.use_database(db)
    cookies = [
        {"Cookie": f"{settings.SESSION_COOKIE_NAME}={common.session_cookie(u)}"} for u in world.users[:4]
    ]
    tokens = [{"Authorization": f"Bearer {common.api_token(m)}"} for m in world.memberships[:4]]
    queries = {}
    for label, url in URLS.items():
        if url.startswith("/api/"):
            status, count = common.count_queries(url, token=common.api_token(world.memberships[0]))
        else:
            status, count = common.count_queries(url, user=world.users[0])
        queries[label] = count if status == 200 else f"HTTP {status}"
    results = {}
    with common.gunicorn(db) as server:
        progress(f"{side}: " + common.setup_line(server, f"{side} board"))
        for label, url in URLS.items():
            ids = tokens if url.startswith("/api/") else cookies
            results[label] = common.run_load(
                server, f"{side} {label}", identities=ids, sequences=[[("GET", url)]]
            )
            progress(common.line(results[label]))
    return queries, results


def main() -> None:
    template, small_db, large_db = (
        "agora_bench_board_tpl",
        "agora_bench_board_small",
        "agora_bench_board_large",
    )
    common.django_setup(template)
    progress("migrating a template database ...")
    common.make_template(template)
    try:
        common.recreate_database(small_db, template=template)
        common.recreate_database(large_db, template=template)
        progress(f"generating {SMALL:,} requests ...")
        small_world = generate(small_db, SMALL)
        progress(f"generating {LARGE:,} requests and their votes ...")
        large_world = generate(large_db, LARGE)
        for db, world in ((small_db, small_world), (large_db, large_world)):
            n, v, wrong = counts(db, world)
            progress(f"{db}: {n:,} requests, {v:,} votes, {wrong} requests whose vote_count != vote rows")
        explain(large_db, large_world)
        q_small, r_small = measure(small_db, "small", small_world)
        q_large, r_large = measure(large_db, "large", large_world)
    finally:
        from django.db import connections

        connections.close_all()
        for name in (small_db, large_db, template):
            common.drop_database(name)

    print()
    print(f"board: {LARGE:,} vs {SMALL:,} requests")
    print(f"{'SQL queries per request':<44} {'small':>7} {'large':>7}")
    for label in URLS:
        flag = "" if q_small[label] == q_large[label] else "   <- differs"
        print(f"  {label:<42} {q_small[label]!s:>7} {q_large[label]!s:>7}{flag}")
    print(common.header())
    for label in URLS:
        print(common.line(r_small[label]))
        print(common.line(r_large[label]))
    print("ratios (throughput)")
    for label in URLS:
        print(common.ratio_line(f"{label}: large / small", r_large[label], r_small[label], 0.8))


if __name__ == "__main__":
    main()
