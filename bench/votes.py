"""Votes under load: vote / unvote calls (`POST` then `DELETE /api/v1/requests/<n>/vote/`) by 200 distinct
people on 50 requests, against the cheapest authenticated DRF POST on the same server
(`POST /api/v1/inbox/read-all/`, an empty inbox: token auth, tenant scope, one UPDATE). Then checks that
every request's stored `vote_count` equals its vote rows.

    .venv/bin/python bench/votes.py
    BENCH_SCALE=0.5 .venv/bin/python bench/votes.py   # 100 people on 25 requests

Goal (never asserted): votes / baseline throughput >= 0.6x; 0 requests with a wrong count.
Each person stays under the hourly vote limit (120 per person and web worker) for up to ~60 s of
voting (BENCH_ROUNDS x BENCH_SECONDS).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository root, not bench/

from bench import board, common  # noqa: E402
from bench.common import progress  # noqa: E402

PEOPLE = common.scaled(200, 10)
REQUESTS = common.scaled(50, 5)


def main() -> None:
    db = "agora_bench_votes"
    common.django_setup(db)
    progress(f"creating {PEOPLE} people and {REQUESTS} open requests ...")
    common.recreate_database(db)
    common.make_template(db)  # migrates it
    try:
        world = board.generate(db, REQUESTS, voters=PEOPLE, votes=False)
        common.use_database(db)
        from portal.tenancy.context import tenant_context
        from requests_app.models import FeatureRequest

        with tenant_context(world.tenant):
            FeatureRequest.objects.update(status="new")  # all open for voting
            numbers = list(FeatureRequest.objects.values_list("number", flat=True))
        tokens = [{"Authorization": f"Bearer {common.api_token(m)}"} for m in world.memberships]
        votes = [
            [("POST", f"/api/v1/requests/{n}/vote/"), ("DELETE", f"/api/v1/requests/{n}/vote/")]
            for n in numbers
        ]
        # Some votes stay: every third iteration only votes, so unvotes have rows to delete and counts move.
        votes += [[("POST", f"/api/v1/requests/{n}/vote/")] for n in numbers[::3]]
        with common.gunicorn(db) as server:
            progress(common.setup_line(server, f"{PEOPLE} people, {REQUESTS} requests"))
            baseline, voting = common.alternate(
                [
                    common.Phase(server, "cheapest DRF POST (inbox read-all)", tokens,
                                 [[("POST", "/api/v1/inbox/read-all/")]]),
                    common.Phase(server, "vote / unvote", tokens, votes),
                ]
            )  # fmt: skip
            progress(common.line(baseline))
            progress(common.line(voting))
        _, rows, wrong = board.counts(db, world)
        with tenant_context(world.tenant):
            stored = sum(FeatureRequest.objects.values_list("vote_count", flat=True))
    finally:
        from django.db import connections

        connections.close_all()
        common.drop_database(db)

    print()
    print(f"votes: {PEOPLE} people on {REQUESTS} requests")
    print(common.header())
    print(common.line(baseline))
    print(common.line(voting))
    print("ratio (throughput)")
    print(common.ratio_line("vote / unvote vs cheapest DRF POST", voting, baseline, 0.6))
    print(
        f"  final counts: sum of vote_count {stored:,}, vote rows {rows:,}, "
        f"requests with a wrong count {wrong}"
    )


if __name__ == "__main__":
    main()
