"""Insights benchmark: 200 teams x 2 years of delivery events (~500k): ingest throughput, dashboard latency.

Phase 1, ingest. One tenant with BENCH_TEAMS teams (the first is the platform team that owns the
capabilities), 1-2 repositories each mapped to its team, one generic ingest source, and a seeded history of
BENCH_WEEKS weeks: production and staging deployments with a weekly rhythm (busy mid-week, quiet weekends,
a dip at the turn of the year, noise per week), changes with lead times, failures followed by rollbacks,
and a few incidents. Events are sorted by when the CI/CD system would send them; everything but the last
ones is loaded in bulk (COPY, the fields an event says set as `recording` sets them), then
`manage.py insights_recompute` derives the rest, as the project says to after a bulk load. Then the tail
is ingested for real and timed:

- **view**: the last BENCH_SAMPLE events as signed generic JSON through `POST /pub/insights/ingest/...`
  with Django's test Client (middleware, tenant lookup, HMAC check, JSON, strict validation, `recording`);
- **service**: the BENCH_SAMPLE/2 events before them through what the view calls after the signature
  check (`json.loads` -> `generic.parse` -> `recording.delivery_record`), to show what HTTP costs;
- **plain bulk INSERT**: the very same rows (deployments, changes, incidents and the delivery records that
  make redeliveries no-ops) with `bulk_create` into a scratch tenant of the same tables, commit included.

Every ingested delivery is its own transaction, as in production. Celery runs eagerly, so the figures include
dispatching `insights.deployment_recorded` (adoption inference), which a worker would do in production.
Afterwards every Deployment, Change and Incident row of the tenant is checked: the fields an event says
against the event (a difference stops the run: the bulk loader no longer follows `recording`), and the
derived fields as ingest maintained them against a full recompute (a difference is reported).

Phase 2, dashboard. Adoptions of four capabilities by different shares of the teams at different dates
(through the adoption service; CI-runner adopters deliver better afterwards). Median and p95 latency of the
Platform value dashboard (`/t/<tenant>/insights/`) and of one capability's value page
(`/t/<tenant>/insights/value/ci-runners/`) through Django's test Client as a tenant admin, at BENCH_TEAMS
teams next to a tenant of BENCH_SMALL_TEAMS teams with the same history length, with the ratio and the SQL
queries per request (which should not depend on the size).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_bench_insights .venv/bin/python bench/insights.py
    BENCH_TEAMS=40 BENCH_WEEKS=52 BENCH_SAMPLE=2000 .venv/bin/python bench/insights.py     # quicker

Environment: BENCH_TEAMS (200), BENCH_WEEKS (104), BENCH_SAMPLE (5000 events through the view, half as
many through the service; each delivery commits, so on a slow disk this is the long part), BENCH_SMALL_TEAMS
(10), BENCH_REQUESTS (15 timed requests per page after one warm-up), BENCH_PAGE_SECONDS (120: time spent
timing one page; a single request running longer is stopped and the page reported as at least that slow),
BENCH_VERIFY (1; 0 skips the second full recompute of check 2 below), BENCH_SEED. Times are relative to
the start of the run (so the dashboard's windows always hold data); the shape of the data is the same on
every run.

Never pass/fail: it reports. The bench database (default agora_bench_insights) is recreated on each run.
DEBUG=1 is set for the development key and `SET ROLE` on a trust PostgreSQL only; it is switched off in the
process before anything is measured, so the debug cursor and debug templates do not inflate the figures.
"""

from __future__ import annotations

import gc
import json
import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the repository root instead of bench/ (bench/catalog.py would shadow the app)

TEAMS = int(os.environ.get("BENCH_TEAMS", "200"))
WEEKS = int(os.environ.get("BENCH_WEEKS", "104"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "5000"))
SMALL_TEAMS = int(os.environ.get("BENCH_SMALL_TEAMS", "10"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "15"))
PAGE_SECONDS = float(os.environ.get("BENCH_PAGE_SECONDS", "120"))
SEED = os.environ.get("BENCH_SEED", "agora-insights-bench")
VERIFY = os.environ.get("BENCH_VERIFY", "1") != "0"  # 0: skip the second full recompute (check 2)
BATCH = 5000

# Share of deployments per weekday (Monday first) and the hours (UTC) teams deploy in.
DAY_WEIGHTS = (0.19, 0.22, 0.22, 0.2, 0.13, 0.025, 0.015)
WORK_HOURS = (7.5, 19.0)
# slug, name, share of eligible teams that onboard, whether adopters deliver better afterwards.
CAPABILITIES = (
    ("ci-runners", "CI runners", 0.55, True),
    ("kubernetes-namespaces", "Kubernetes namespaces", 0.35, False),
    ("managed-postgresql", "Managed PostgreSQL", 0.2, False),
    ("observability-stack", "Observability stack", 0.1, False),
)
VALUE_PAGE_CAPABILITY = "ci-runners"
PRODUCTION = "production"


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", flush=True)


# --- The history: deterministic given the seed, the sizes and the anchor time ------------------------------


@dataclass
class Move:
    state: str
    at: datetime


@dataclass
class TenantPlan:
    slug: str
    teams: list[str]
    repositories: list[tuple[str, int]]  # (owner/name, team index)
    # capability slug -> team index -> moves in order
    adoptions: dict[str, dict[int, list[Move]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)  # sorted by when they are sent


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _adoption_plan(rng: random.Random, teams: int, anchor: datetime) -> dict[str, dict[int, list[Move]]]:
    """Who onboards what, when: between 62 and 3 weeks ago, some after evaluating, a few leaving again."""
    eligible = list(range(1, teams))  # team 0 owns the capabilities
    plan: dict[str, dict[int, list[Move]]] = {}
    for slug, _name, share, _improves in CAPABILITIES:
        adopters = rng.sample(eligible, max(1, round(share * len(eligible)))) if eligible else []
        per_team: dict[int, list[Move]] = {}
        for team in sorted(adopters):
            onboarded = anchor - timedelta(weeks=rng.randint(3, 62), days=rng.randint(0, 6), hours=2)
            moves = []
            if rng.random() < 0.5:
                moves.append(Move("evaluating", onboarded - timedelta(weeks=rng.randint(2, 8))))
            moves.append(Move("onboarded", onboarded))
            left = onboarded + timedelta(weeks=rng.randint(12, 40))
            if rng.random() < 0.1 and left < anchor - timedelta(days=1):
                moves.append(Move("offboarded", left))
            per_team[team] = moves
        plan[slug] = per_team
    return plan


def _improved_since(plan: dict[str, dict[int, list[Move]]]) -> dict[int, datetime]:
    """team index -> when it onboarded the capability that makes delivery better."""
    found = {}
    for slug, _name, _share, improves in CAPABILITIES:
        if improves:
            for team, moves in plan.get(slug, {}).items():
                found[team] = next(m.at for m in moves if m.state == "onboarded")
    return found


def make_plan(slug: str, teams: int, weeks: int, anchor: datetime) -> TenantPlan:
    """A tenant's teams, repositories, adoptions and every delivery event of `weeks` weeks up to `anchor`."""
    rng = random.Random(f"{SEED}-{slug}-{teams}-{weeks}")
    names = ["platform"] + [f"team-{i:03d}" for i in range(1, teams)]
    repositories = []
    for index, team in enumerate(names):
        for j in range(2 if rng.random() < 0.4 else 1):
            repositories.append((f"{slug}/{team}-svc{j + 1}", index))
    plan = TenantPlan(slug=slug, teams=names, repositories=repositories)
    plan.adoptions = _adoption_plan(rng, teams, anchor)
    improved = _improved_since(plan.adoptions)
    profiles = {
        index: {
            "rate": min(20.0, rng.lognormvariate(math.log(5.2), 0.45)),  # production deployments / repo-week
            "lead_hours": rng.lognormvariate(math.log(30.0), 0.5),
            "fail": min(0.35, max(0.02, rng.gauss(0.12, 0.04))),
            "trend": rng.uniform(-0.1, 0.3),  # change of the rate over the whole history
        }
        for index in range(teams)
    }
    this_monday = (anchor - timedelta(days=anchor.weekday())).replace(hour=0, minute=0, second=0)
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    counter = 0
    events: list[tuple[datetime, int, dict[str, Any]]] = []

    def add(sent_at: datetime, payload: dict[str, Any]) -> None:
        events.append((sent_at, len(events), payload))

    for repository, team in repositories:
        profile = profiles[team]
        repo_factor = rng.uniform(0.6, 1.2)
        for week in range(weeks):
            monday = first_monday + timedelta(weeks=week)
            progress_share = week / max(1, weeks - 1)
            holiday = (
                0.3
                if (monday.month == 12 and monday.day >= 22) or (monday.month == 1 and monday.day <= 3)
                else 1
            )
            lam = profile["rate"] * repo_factor * (1 + profile["trend"] * progress_share) * holiday
            lam *= max(0.2, rng.gauss(1.0, 0.2))
            better = team in improved and monday >= improved[team]
            if better:
                lam *= 1.3
            lead_hours = profile["lead_hours"] * (0.7 if better else 1.0)
            fail = profile["fail"] * (0.75 if better else 1.0)
            for _ in range(_poisson(rng, lam)):
                day = rng.choices(range(7), weights=DAY_WEIGHTS)[0]
                finished = _second(monday + timedelta(days=day, hours=rng.uniform(*WORK_HOURS)))
                if finished > anchor:
                    continue
                counter += 1
                sha = f"{rng.getrandbits(160):040x}"
                failed = rng.random() < fail
                deployment_id = f"dep-{counter}"
                add(
                    finished,
                    {
                        "id": deployment_id,
                        "type": "deployment",
                        "repository": repository,
                        "environment": PRODUCTION,
                        "sha": sha,
                        "status": "failure" if failed else "success",
                        "started_at": finished - timedelta(seconds=rng.randint(180, 1500)),
                        "finished_at": finished,
                        "remediation": False,
                    },
                )
                if rng.random() < 0.4:
                    staged = finished - timedelta(seconds=rng.randint(3600, 6 * 3600))
                    add(
                        staged,
                        {
                            "id": f"stg-{counter}",
                            "type": "deployment",
                            "repository": repository,
                            "environment": "staging",
                            "sha": sha,
                            "status": "success" if rng.random() < 0.95 else "failure",
                            "started_at": staged - timedelta(seconds=rng.randint(120, 900)),
                            "finished_at": staged,
                            "remediation": False,
                        },
                    )
                for c in range(rng.choice((0, 1, 1, 2, 2, 3))):
                    first = finished - timedelta(hours=rng.lognormvariate(0, 0.6) * lead_hours)
                    merged = _second(finished - (finished - first) * rng.uniform(0.05, 0.5))
                    add(
                        merged,
                        {
                            "id": f"chg-{counter}-{c}",
                            "type": "change",
                            "repository": repository,
                            "sha": sha if c == 0 else f"{rng.getrandbits(160):040x}",
                            "first_commit_at": _second(first) if rng.random() < 0.9 else None,
                            "merged_at": merged,
                        },
                    )
                if not failed:
                    continue
                recovered = finished + timedelta(seconds=rng.randint(20 * 60, 5 * 3600))
                if rng.random() < 0.6 and recovered <= anchor:
                    add(
                        recovered,
                        {
                            "id": f"dep-{counter}-rollback",
                            "type": "deployment",
                            "repository": repository,
                            "environment": PRODUCTION,
                            "sha": f"{rng.getrandbits(160):040x}",
                            "status": "success",
                            "started_at": recovered - timedelta(seconds=rng.randint(60, 600)),
                            "finished_at": recovered,
                            "remediation": True,
                        },
                    )
                if rng.random() < 0.3:
                    opened = finished + timedelta(seconds=rng.randint(120, 900))
                    resolved: datetime | None = opened + timedelta(hours=rng.lognormvariate(math.log(2), 0.8))
                    resolved = _second(resolved) if resolved <= anchor else None
                    incident = {
                        "id": f"inc-{counter}",
                        "type": "incident",
                        "repository": repository,
                        "opened_at": opened,
                        "resolved_at": resolved,
                    }
                    if rng.random() < 0.7:
                        incident["deployment_id"] = deployment_id
                    add(resolved or opened, incident)  # sent once it is resolved (or still open now)
    events.sort(key=lambda e: (e[0], e[1]))
    plan.events = [payload for _, _, payload in events]
    return plan


# --- Rows as `recording` stores them ---------------------------------------------------------------------


def to_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in payload.items()},
        separators=(",", ":"),
    ).encode()


class RowBuilder:
    """The rows `generic.parse` + `recording.delivery_record` store for an event, built without them.

    It sets the fields an event says (`SETS`), as recording does: `is_production` from the source's
    production environments, `created_at` = started_at, ... Fields derived from neighbouring rows (which
    deployments failed, when they recovered, when a change shipped) are left to the project's own recompute
    (`manage.py insights_recompute`) after the bulk load. `check_consistency` verifies both.
    """

    SETS: dict[str, tuple[str, ...]] = {
        "Deployment": (
            "repository", "environment", "is_production", "sha", "status", "is_remediation", "created_at",
            "finished_at",
        ),
        "Change": ("repository", "sha", "first_commit_at", "merged_at"),
        "Incident": ("repository", "opened_at", "resolved_at", "deployment_external_id"),
    }  # fmt: skip

    def __init__(self, source: Any):
        from catalog.insights.delivery.recording import production_environments

        self.source = source
        self.production = production_environments(source)

    def rows(self, payload: dict[str, Any]) -> tuple[Any, Any]:
        """(the domain row, the IngestedDelivery row) of one event."""
        from catalog.insights.models import Change, Deployment, Incident, IngestedDelivery

        common = {
            "tenant_id": self.source.tenant_id,
            "source_id": self.source.pk,
            "external_id": payload["id"],
            "repository": payload["repository"].lower(),
        }
        kind = payload["type"]
        row: Any
        if kind == "deployment":
            row = Deployment(
                **common,
                environment=payload["environment"],
                is_production=payload["environment"].lower() in self.production,
                sha=payload.get("sha", ""),
                status=payload["status"],
                is_remediation=payload.get("remediation", False),
                created_at=payload["started_at"],
                finished_at=payload["finished_at"],
            )
        elif kind == "change":
            row = Change(
                **common,
                sha=payload.get("sha", ""),
                first_commit_at=payload.get("first_commit_at"),
                merged_at=payload["merged_at"],
            )
        else:
            row = Incident(
                **common,
                opened_at=payload["opened_at"],
                resolved_at=payload.get("resolved_at"),
                deployment_external_id=payload.get("deployment_id", ""),
            )
        delivery = IngestedDelivery(
            tenant_id=self.source.tenant_id,
            source_id=self.source.pk,
            delivery_id=payload["id"],
            event_type=kind,
        )
        return row, delivery


def bulk_insert(builder: RowBuilder, events: list[dict[str, Any]], *, label: str = "") -> int:
    """Store the rows of `events` (and their delivery records) without the ingest path; returns rows.

    On PostgreSQL with COPY (as the owner, one transaction: the fast way to load a history, not measured),
    otherwise (or with BENCH_LOAD=orm) `bulk_create` in batches of BATCH. Either way every field has the
    value `bulk_create` would give it (defaults, `auto_now_add`)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and os.environ.get("BENCH_LOAD", "copy") == "copy":
        return _copy_insert(url, builder, events, label=label)
    from django.db import transaction

    from catalog.insights.models import Change, Deployment, Incident, IngestedDelivery

    total = 0
    for start in range(0, len(events), BATCH):
        by_model: dict[type, list[Any]] = defaultdict(list)
        for payload in events[start : start + BATCH]:
            row, delivery = builder.rows(payload)
            by_model[type(row)].append(row)
            by_model[IngestedDelivery].append(delivery)
        with transaction.atomic():
            for model in (Deployment, Change, Incident, IngestedDelivery):
                if by_model[model]:
                    model.objects.bulk_create(by_model[model], batch_size=BATCH)
                    total += len(by_model[model])
        done = min(start + BATCH, len(events))
        if label and ((done // BATCH) % 20 == 0 or done == len(events)):
            progress(f"  {label}: {done:,}/{len(events):,} events")
    return total


def _copy_insert(url: str, builder: RowBuilder, events: list[dict[str, Any]], *, label: str) -> int:
    import psycopg
    from django.utils import timezone

    from catalog.insights.models import Change, Deployment, Incident, IngestedDelivery

    now = timezone.now()
    by_model: dict[type, list[Any]] = defaultdict(list)
    for payload in events:
        row, delivery = builder.rows(payload)
        by_model[type(row)].append(row)
        by_model[IngestedDelivery].append(delivery)
    total = 0
    with psycopg.connect(url) as conn:
        for model in (Deployment, Change, Incident, IngestedDelivery):
            fields = [f for f in model._meta.concrete_fields if f.column and not f.primary_key]
            stamped = [
                f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            ]
            columns = ", ".join(f'"{f.column}"' for f in fields)
            with conn.cursor().copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
                for row in by_model[model]:
                    for f in stamped:
                        setattr(row, f.attname, now)
                    copy.write_row([getattr(row, f.attname) for f in fields])
            total += len(by_model[model])
            if label:
                progress(f"  {label}: {len(by_model[model]):,} {model.__name__} rows")
        conn.commit()
    return total


def recompute(tenant: Any) -> float | None:
    """Seconds of `manage.py insights_recompute --tenant` (what the project says to run after a bulk load),
    or None when this version has no such command (nothing derived to recompute)."""
    import io

    from django.core.management import call_command, get_commands

    if "insights_recompute" not in get_commands():
        return None
    started = time.perf_counter()
    call_command("insights_recompute", tenant=tenant.slug, stdout=io.StringIO())
    return time.perf_counter() - started


def _other_fields(model: Any) -> list[str]:
    """The stored fields of `model` that RowBuilder does not set (derived ones), but ids and timestamps."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.column
        and not f.primary_key
        and f.attname not in ("tenant_id", "source_id", "external_id", *RowBuilder.SETS[model.__name__])
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]


def _snapshot(model: Any, source: Any, fields: list[str]) -> dict[str, tuple]:
    rows = model.objects.filter(source_id=source.pk).values_list("external_id", *fields)
    return {external_id: tuple(values) for external_id, *values in rows.iterator(chunk_size=20000)}


def _differences(
    model: Any, fields: list[str], left: dict, right: dict, labels: tuple[str, str]
) -> list[str]:
    differing: dict[str, list[str]] = defaultdict(list)
    for external_id, values in left.items():
        other = right.get(external_id)
        if other is None:
            differing["(missing)"].append(external_id)
            continue
        for name, a, b in zip(fields, values, other, strict=True):
            if a != b:
                differing[name].append(f"{external_id}: {labels[0]} {a!r}, {labels[1]} {b!r}")
    return [
        f"{model.__name__}.{name} differs on {len(examples):,} rows, e.g. {examples[0]}"
        for name, examples in differing.items()
    ]


def check_consistency(world: Any, builder: RowBuilder, events: list[dict[str, Any]]) -> tuple[list, list]:
    """Two checks over every Deployment, Change and Incident row of the tenant, after the samples went in.

    1. The fields an event says: stored (by bulk load or ingest) = what RowBuilder makes of its event. A
       difference means the bulk loader no longer mirrors recording: the dataset would be wrong.
    2. The derived fields: as ingest left them (bulk load + recompute, then the samples through the real
       path, which keeps its neighbours exact) = after a full `insights_recompute`. A difference means the
       incremental upkeep at ingest and the full recompute disagree (a finding about the code measured).
    Returns (problems of 1, problems of 2)."""
    from catalog.insights.models import Change, Deployment, Incident

    expected: dict[str, dict[str, tuple]] = defaultdict(dict)
    for payload in events:
        row, _ = builder.rows(payload)
        name = type(row).__name__
        expected[name][row.external_id] = tuple(getattr(row, f) for f in RowBuilder.SETS[name])
    basic, derived = [], []
    for model in (Deployment, Change, Incident):
        fields = list(RowBuilder.SETS[model.__name__])
        stored = _snapshot(model, builder.source, fields)
        if len(stored) != len(expected[model.__name__]):
            basic.append(
                f"{model.__name__}: {len(stored):,} rows stored, {len(expected[model.__name__]):,} events"
            )
        basic += _differences(model, fields, stored, expected[model.__name__], ("stored", "bulk"))
    others = {model: _other_fields(model) for model in (Deployment, Change, Incident)}
    if any(others.values()) and VERIFY:
        before = {m: _snapshot(m, builder.source, f) for m, f in others.items() if f}
        if recompute(world.tenant) is None:
            derived.append(f"fields not set by the bulk loader and no insights_recompute: {others}")
        else:
            for model, values in before.items():
                after = _snapshot(model, builder.source, others[model])
                derived += _differences(model, others[model], values, after, ("at ingest", "recomputed"))
    return basic, derived


# --- Setting a tenant up through the services ------------------------------------------------------------


@dataclass
class World:
    tenant: Any
    admin: Any  # the admin's user
    membership: Any
    source: Any
    secret: str
    teams: list[Any]
    capabilities: dict[str, Any]


def build_world(plan: TenantPlan) -> World:
    """Tenant, admin, teams, capabilities, a generic source, repository mappings and adoptions."""
    from django.contrib.auth import get_user_model

    from catalog import services as catalog_services
    from catalog.insights.adoption import services as adoption_services
    from catalog.insights.delivery import services as delivery_services
    from portal.accounts import services as account_services
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Role, Tenant

    tenant = Tenant.objects.create(slug=plan.slug, name=plan.slug.title())
    user = get_user_model().objects.create_user(username=f"{plan.slug}-admin", password="!", email="")
    with tenant_context(tenant):
        membership = account_services.membership_set(user=user, role=Role.ADMIN)
        teams = [
            account_services.team_create(name=name.replace("-", " ").title(), slug=name)
            for name in plan.teams
        ]
        capabilities = {
            slug: catalog_services.capability_create(owner_team=teams[0], name=name, slug=slug, summary=name)
            for slug, name, _share, _improves in CAPABILITIES
        }
        issued = delivery_services.source_create(name="Bench CI", kind="generic")
        delivery_services.repo_mappings_import(
            wanted=[(repository, teams[index]) for repository, index in plan.repositories],
            report=delivery_services.ImportReport(),
        )
        for slug, per_team in plan.adoptions.items():
            for index, moves in per_team.items():
                for move in moves:
                    adoption_services.adoption_set(
                        membership=membership,
                        capability=capabilities[slug],
                        team=teams[index],
                        state=move.state,
                        effective_at=move.at,
                        note="Bench data.",
                    )
    return World(tenant, user, membership, issued.source, issued.secret, teams, capabilities)


def recreate_database(url: str) -> None:
    """A fresh database per run (a tenant cannot simply be deleted: row-level security hides its rows)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(("agora_", "bench")):
        raise SystemExit(f"refusing to recreate database {name!r}: use a dedicated bench database")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def analyze(url: str) -> None:
    """Fresh planner statistics after a bulk load, as the owner (the app role may not ANALYZE)."""
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")


# --- Measuring ------------------------------------------------------------------------------------------


def commit_latency(url: str, n: int = 200) -> float | None:
    """Seconds per committed one-row INSERT on this machine (the disk flush every transaction waits for)."""
    if not url.startswith("postgres"):
        return None
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_commit_probe (x int)")
        started = time.perf_counter()
        for _ in range(n):
            conn.execute("INSERT INTO bench_commit_probe VALUES (1)")
        seconds = (time.perf_counter() - started) / n
        conn.execute("DROP TABLE bench_commit_probe")
    return seconds


@dataclass
class Work:
    """What a block did: SQL statements sent, and Celery tasks run in-process (eagerly) with their time."""

    queries: int = 0
    tasks: int = 0
    task_seconds: float = 0.0


@contextmanager
def counting() -> Iterator[Work]:
    """Count statements (a connection execute wrapper) and time eager Celery tasks (task_prerun/postrun)."""
    from celery.signals import task_postrun, task_prerun
    from django.db import connection

    work = Work()
    began: dict[str, float] = {}

    def on_execute(execute, sql_text, params, many, context):
        work.queries += 1
        return execute(sql_text, params, many, context)

    def on_prerun(task_id: str, **_: Any) -> None:
        began[task_id] = time.perf_counter()

    def on_postrun(task_id: str, **_: Any) -> None:
        if task_id in began:
            work.tasks += 1
            work.task_seconds += time.perf_counter() - began.pop(task_id)

    task_prerun.connect(on_prerun, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    try:
        with connection.execute_wrapper(on_execute):
            yield work
    finally:
        task_prerun.disconnect(on_prerun)
        task_postrun.disconnect(on_postrun)


@dataclass
class Ingest:
    events: int
    seconds: float
    work: Work

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def ingest_view(world: World, events: list[dict[str, Any]]) -> Ingest:
    """POST every event, signed, to the ingest URL (bodies and signatures are made beforehand)."""
    from django.test import Client

    from catalog.insights.delivery.webhook import signature

    url = f"/pub/insights/ingest/{world.tenant.slug}/{world.source.key}/"
    prepared = []
    for payload in events:
        body = to_json(payload)
        prepared.append((body, {"X-Agora-Signature-256": signature(world.secret, body)}))
    client = Client()
    step = max(1, len(prepared) // 4)
    with counting() as work:
        started = time.perf_counter()
        for n, (body, headers) in enumerate(prepared, 1):
            response = client.post(url, data=body, content_type="application/json", headers=headers)
            if response.status_code != 200 or response.json().get("status") != "stored":
                raise SystemExit(f"ingest answered {response.status_code} {response.content[:300]!r}")
            if n % step == 0:
                rate = n / (time.perf_counter() - started)
                progress(f"  view: {n:,}/{len(prepared):,} events ({rate:,.0f}/s)")
        seconds = time.perf_counter() - started
    return Ingest(len(events), seconds, work)


def ingest_service(world: World, events: list[dict[str, Any]]) -> Ingest:
    """Store every event through what the view calls once the signature is checked."""
    from catalog.insights.delivery import generic, recording
    from portal.tenancy.context import tenant_context

    bodies = [to_json(payload) for payload in events]
    step = max(1, len(bodies) // 4)
    with tenant_context(world.tenant), counting() as work:
        started = time.perf_counter()
        for n, body in enumerate(bodies, 1):
            parsed = generic.parse(json.loads(body))
            result = recording.delivery_record(
                source=world.source, delivery_id=parsed.id, event_type=parsed.type, facts=[parsed.fact]
            )
            if result.duplicate:
                raise SystemExit(f"the service saw {parsed.id} as a duplicate")
            if n % step == 0:
                rate = n / (time.perf_counter() - started)
                progress(f"  service: {n:,}/{len(bodies):,} events ({rate:,.0f}/s)")
        seconds = time.perf_counter() - started
    return Ingest(len(events), seconds, work)


def ingest_bulk_baseline(scratch: World, events: list[dict[str, Any]]) -> Ingest:
    """`bulk_create` the same rows (into a scratch tenant of the same tables), building them and the commit
    included."""
    from django.db import transaction

    from catalog.insights.models import Change, Deployment, Incident, IngestedDelivery
    from portal.tenancy.context import tenant_context

    builder = RowBuilder(scratch.source)
    with tenant_context(scratch.tenant), counting() as work:
        started = time.perf_counter()
        by_model: dict[type, list[Any]] = defaultdict(list)
        for payload in events:
            row, delivery = builder.rows(payload)
            by_model[type(row)].append(row)
            by_model[IngestedDelivery].append(delivery)
        with transaction.atomic():
            for model in (Deployment, Change, Incident, IngestedDelivery):
                model.objects.bulk_create(by_model[model], batch_size=BATCH)
        seconds = time.perf_counter() - started
    return Ingest(len(events), seconds, work)


class TooSlow(Exception):
    """A request ran past BENCH_PAGE_SECONDS and was stopped."""


def _within(seconds: float, call: Any) -> Any:
    """`call()`, interrupted by SIGALRM (raising TooSlow) after `seconds`."""
    import signal

    def on_alarm(signum: int, frame: Any) -> None:
        raise TooSlow

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Latency:
    times: list[float]  # sorted
    first: float  # the warm-up request
    queries: int  # SQL statements of one request
    size: int  # bytes of the answer
    stopped: bool = False  # the warm-up ran past BENCH_PAGE_SECONDS: `first` is a lower bound

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return self.times[min(len(self.times) - 1, math.ceil(0.95 * len(self.times)) - 1)]


def measure_page(world: World, path: str) -> Latency:
    """GET `path` as the tenant admin: one warm-up request (its statements counted), then up to
    BENCH_REQUESTS timed ones while BENCH_PAGE_SECONDS last. A request running past BENCH_PAGE_SECONDS is
    stopped: the page is reported as at least that slow, with no further requests."""
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(world.admin)
    started = time.perf_counter()
    try:
        with counting() as work:
            response = _within(PAGE_SECONDS, lambda: client.get(path))
    except TooSlow:
        connection.close()  # it may have been stopped inside a transaction
        return Latency([time.perf_counter() - started], PAGE_SECONDS, work.queries, 0, stopped=True)
    first = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")
    times: list[float] = []
    budget = time.perf_counter()
    try:
        while len(times) < REQUESTS and time.perf_counter() - budget < PAGE_SECONDS:
            started = time.perf_counter()
            _within(PAGE_SECONDS, lambda: client.get(path))
            times.append(time.perf_counter() - started)
    except TooSlow:
        connection.close()
    return Latency(sorted(times or [first]), first, work.queries, len(response.content))


def count_rows(world: World) -> dict[str, int]:
    from catalog.insights.models import Change, Deployment, Incident
    from portal.tenancy.context import tenant_context

    with tenant_context(world.tenant):
        return {
            "production deployments": Deployment.objects.filter(is_production=True).count(),
            "other deployments": Deployment.objects.filter(is_production=False).count(),
            "changes": Change.objects.count(),
            "incidents": Incident.objects.count(),
        }


# --- The run ----------------------------------------------------------------------------------------------


def split(events: list[dict[str, Any]]) -> tuple[list[Any], list[Any], list[Any]]:
    """(history to bulk-load, the service sample, the view sample): the samples are the newest events."""
    view_n = min(SAMPLE, len(events) // 4)
    service_n = min(max(1, SAMPLE // 2), len(events) // 8)
    cut = len(events) - view_n - service_n
    return events[:cut], events[cut : cut + service_n], events[cut + service_n :]


def report_ingest(name: str, ingest: Ingest, baseline: Ingest | None = None) -> None:
    line = f"  {name:<27}{ingest.rate:>10,.0f} events/s   ({ingest.events:,} in {ingest.seconds:.1f} s"
    line += f", {ingest.work.queries / ingest.events:.2f} SQL statements/event"
    if ingest.work.tasks:
        share = ingest.work.task_seconds / ingest.seconds
        line += f", {share:.0%} of the time in {ingest.work.tasks:,} event dispatches"
    print(line + ")")
    if baseline is not None:
        ratio = ingest.rate / baseline.rate
        print(f"    ratio to the plain bulk INSERT  {ratio:.4f}   (1 : {1 / ratio:,.0f})")


def report_page(label: str, small: Latency, large: Latency) -> None:
    print(f"  {label}")
    for teams, at in ((SMALL_TEAMS, small), (TEAMS, large)):
        if at.stopped:
            print(
                f"    {teams:>4} teams   stopped after {PAGE_SECONDS:.0f} s (BENCH_PAGE_SECONDS), "
                f"{at.queries} SQL statements by then"
            )
            continue
        print(
            f"    {teams:>4} teams   median {at.median:8.3f} s   p95 {at.p95:8.3f} s   n={len(at.times):<3}"
            f" first {at.first:7.3f} s   {at.queries} SQL statements   {at.size:,} bytes"
        )
    if small.stopped:
        return
    if large.stopped:
        print(f"    ratio {TEAMS}/{SMALL_TEAMS} teams   more than {PAGE_SECONDS / small.median:,.0f}x")
        return
    same = "the same" if small.queries == large.queries else "NOT the same"
    print(
        f"    ratio {TEAMS}/{SMALL_TEAMS} teams   median {large.median / small.median:.1f}x"
        f"   p95 {large.p95 / small.p95:.1f}x   statements per request {same}"
    )


def main() -> None:
    if any(arg in ("-h", "--help") for arg in sys.argv[1:]):
        print(__doc__)
        return
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/agora_bench_insights")
    os.environ.update({"CELERY_EAGER": "1", "LOG_LEVEL": "WARNING", "EMAIL_URL": "locmem://"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "1")  # a local measurement: dev SECRET_KEY, SET ROLE on trust PostgreSQL
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from portal.tenancy.context import tenant_context

    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    progress(f"migrating a fresh database; {TEAMS} teams x {WEEKS} weeks, sample {SAMPLE:,} ...")
    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # measure without the debug cursor and debug templates (see the docstring)

    # --- Phase 1: ingest ---
    progress("phase 1 (ingest): generating the history, creating teams, repositories and adoptions ...")
    plan = make_plan("bench", TEAMS, WEEKS, anchor)
    world = build_world(plan)
    events = plan.events
    history, service_sample, view_sample = split(events)
    progress(
        f"phase 1 (ingest): {len(events):,} events for {TEAMS} teams ({len(plan.repositories)} repositories);"
        f" bulk-loading the oldest {len(history):,} ..."
    )
    builder = RowBuilder(world.source)
    with tenant_context(world.tenant):
        started = time.perf_counter()
        history_rows = bulk_insert(builder, history, label="bulk load")
        history_seconds = time.perf_counter() - started
        analyze(url)  # fresh planner statistics before anything reads the rows
        progress("phase 1 (ingest): deriving the fields ingest keeps (manage.py insights_recompute) ...")
        recompute_seconds = recompute(world.tenant)
    analyze(url)
    gc.collect()
    commit_seconds = commit_latency(url)
    progress(f"phase 1 (ingest): {len(service_sample):,} events through generic.parse + delivery_record ...")
    service = ingest_service(world, service_sample)
    progress(f"phase 1 (ingest): {len(view_sample):,} signed events through POST /pub/insights/ingest/ ...")
    view = ingest_view(world, view_sample)
    progress("phase 1 (ingest): plain bulk INSERT of the same rows ...")
    scratch = build_world(TenantPlan(slug="bench-scratch", teams=["platform"], repositories=[]))
    bulk = ingest_bulk_baseline(scratch, service_sample + view_sample)
    progress("phase 1 (ingest): checking the rows against their events and against a full recompute ...")
    with tenant_context(world.tenant):
        basic, derived = check_consistency(world, builder, events)
    if basic:
        print(
            "\nBulk-loaded rows differ from what the ingest path stores (RowBuilder must follow recording):"
        )
        for line in basic:
            print(f"  {line}")
        raise SystemExit(2)
    rows = count_rows(world)

    # --- Phase 2: dashboard ---
    progress(f"phase 2 (dashboard): a {SMALL_TEAMS}-team tenant with the same {WEEKS} weeks ...")
    small_plan = make_plan("bench-small", SMALL_TEAMS, WEEKS, anchor)
    small = build_world(small_plan)
    with tenant_context(small.tenant):
        bulk_insert(RowBuilder(small.source), small_plan.events)
        analyze(url)
        recompute(small.tenant)
    analyze(url)
    pages = {
        "Platform value dashboard  /t/<tenant>/insights/": "/t/{slug}/insights/",
        f"capability value page     /t/<tenant>/insights/value/{VALUE_PAGE_CAPABILITY}/": (
            f"/t/{{slug}}/insights/value/{VALUE_PAGE_CAPABILITY}/"
        ),
    }
    latencies: dict[str, tuple[Latency, Latency]] = {}
    for label, pattern in pages.items():
        name = label.split("  ")[0]
        progress(f"phase 2 (dashboard): {name} at {SMALL_TEAMS} teams ...")
        at_small = measure_page(small, pattern.format(slug=small.tenant.slug))
        progress(f"phase 2 (dashboard): {name} at {TEAMS} teams ...")
        at_large = measure_page(world, pattern.format(slug=world.tenant.slug))
        latencies[label] = (at_small, at_large)

    # --- Report ---
    print()
    print(f"history              {TEAMS} teams x {WEEKS} weeks, {len(plan.repositories)} repositories")
    print(
        f"events               {len(events):>10,}   "
        f"(the oldest bulk-loaded: {history_rows:,} rows in {history_seconds:.0f} s)"
    )
    for name, count in rows.items():
        print(f"  {name:<22} {count:>10,}")
    if recompute_seconds is not None:
        print(f"insights_recompute   {recompute_seconds:>10.1f} s   (derived fields of the bulk-loaded rows)")
    if derived:
        print("derived fields: what ingest maintained differs from a full recompute:")
        for line in derived:
            print(f"  {line}")
    elif VERIFY:
        print("derived fields       as ingest maintained them = a full recompute, on every row")
    if commit_seconds is not None:
        print(
            f"one committed INSERT {commit_seconds * 1000:>10.2f} ms   "
            "(the disk flush every transaction waits for on this machine)"
        )
    print("ingest (every delivery its own transactions, as in production; the bulk INSERT in one)")
    report_ingest("view: signed HTTP POST", view, bulk)
    report_ingest("service: parse + record", service, bulk)
    report_ingest("plain bulk INSERT", bulk)
    print(f"  ratio view / service        {view.rate / service.rate:.2f}")
    print(
        f"latency at {SMALL_TEAMS} and at {TEAMS} teams (Django test Client, tenant admin, after a warm-up)"
    )
    for label, (at_small, at_large) in latencies.items():
        report_page(label, at_small, at_large)
    progress("done")


if __name__ == "__main__":
    main()
