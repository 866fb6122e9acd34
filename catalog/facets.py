"""Exact facet counts of the catalog (`FacetCount`), kept in step by the write services.

The catalog's filters show every category, owner team, tag, lifecycle and status present among the
capabilities a member sees, with how many carry it, and the list shows how many there are. Computed live,
that is a DISTINCT or GROUP BY over every capability of the tenant on each page view (60 ms at 20,000,
bench/catalog.py). Instead each write applies its own difference, in its own transaction:

    before = facets.counted(capability.pk)      # locks the row, reads what it counts for now
    ... write ...
    facets.record(capability.tenant_id, before, facets.counted(capability.pk, lock=False))

`FacetCount` holds only what every member sees (capabilities not archived, visibility "whole tenant");
team-restricted capabilities are few and are counted live for each reader (`catalog.selectors.facets`),
so no count ever shows, or hides, a capability the reader may not see. `rebuild()` recomputes a tenant
from scratch (migration, bulk loads, the `catalog_facets_rebuild` command); the tests compare it with the
incremental counts after every kind of write.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count

from catalog.models import Capability, CapabilityTag, FacetCount, FacetKind, Visibility
from portal.plugins.api import require_current_tenant

Key = tuple[str, str]
_FIELDS = ("archived", "visibility", "owner_team_id", "category", "lifecycle", "status", "name")
WORD_MIN_LENGTH = 3
_WORD = re.compile(r"[^\W_]+")  # letters and digits: safe inside a raw tsquery


def name_words(name: str) -> set[str]:
    """The words of a capability name that search's typo correction knows (lower case, 3+ characters, not
    numbers: "Runner 17" adds only "runner", so the vocabulary stays as small as the catalog's language)."""
    return {
        w[:100] for w in _WORD.findall((name or "").lower()) if len(w) >= WORD_MIN_LENGTH and not w.isdigit()
    }


def contribution(row: dict, tags: Iterable[str]) -> Counter[Key]:
    """The facet values one capability (`row`: the fields of _FIELDS) adds to the tenant-wide counts."""
    if row["archived"]:
        return Counter()
    words: Counter[Key] = Counter({(FacetKind.WORD, w): 1 for w in name_words(row.get("name", ""))})
    if row["visibility"] != Visibility.TENANT:
        return words
    keys: Counter[Key] = words + Counter(
        {
            (FacetKind.TOTAL, ""): 1,
            (FacetKind.TEAM, str(row["owner_team_id"])): 1,
            (FacetKind.LIFECYCLE, row["lifecycle"]): 1,
            (FacetKind.STATUS, row["status"]): 1,
        }
    )
    if row["category"]:
        keys[(FacetKind.CATEGORY, row["category"])] = 1
    for name in set(tags):
        keys[(FacetKind.TAG, name)] = 1
    return keys


def counted(capability_pk: int | None, *, lock: bool = True) -> Counter[Key]:
    """What the capability counts for now, as stored. `lock` takes its row lock first, so two concurrent
    writes of one capability apply their differences one after the other (never both from the same
    "before"); call it first in the write's transaction. None (not created yet) counts for nothing."""
    if capability_pk is None:
        return Counter()
    rows = Capability.objects.filter(pk=capability_pk)
    if lock:
        rows = rows.select_for_update()
    row = rows.values(*_FIELDS).first()
    if row is None:
        return Counter()
    tags = CapabilityTag.objects.filter(capability_id=capability_pk).values_list("tag__name", flat=True)
    return contribution(row, tags)


def record(tenant_id: int, before: Counter[Key], after: Counter[Key]) -> None:
    """Apply the difference between two `counted` results (one upsert statement, nothing if none)."""
    delta = Counter(after)
    delta.subtract(before)
    changes = [(kind, value, n) for (kind, value), n in delta.items() if n]
    if not changes:
        return
    table = connection.ops.quote_name(FacetCount._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(changes))
    params = [p for kind, value, n in changes for p in (tenant_id, str(kind), value, n)]
    # An upsert (PostgreSQL and SQLite >= 3.24 share the syntax): the first capability with a new value
    # creates its row, and two transactions adding the same new value never collide on the unique key.
    sql = (
        f"INSERT INTO {table} (tenant_id, kind, value, count) VALUES {rows} "  # nosec B608: the model's table name and placeholders only
        f"ON CONFLICT (tenant_id, kind, value) DO UPDATE SET count = {table}.count + EXCLUDED.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def recount() -> dict[Key, int]:
    """The current tenant's counts computed from the capabilities themselves (what `rebuild` stores)."""
    listed = Capability.objects.filter(archived=False, visibility=Visibility.TENANT)
    counts: dict[Key, int] = {}
    total = listed.count()
    if total:
        counts[(FacetKind.TOTAL, "")] = total
    grouped = [
        (FacetKind.CATEGORY, listed.exclude(category=""), "category"),
        (FacetKind.TEAM, listed, "owner_team_id"),
        (FacetKind.LIFECYCLE, listed, "lifecycle"),
        (FacetKind.STATUS, listed, "status"),
        (FacetKind.TAG, CapabilityTag.objects.filter(capability__in=listed.values("pk")), "tag__name"),
    ]
    for kind, rows, field in grouped:
        for value, n in rows.order_by().values(field).annotate(n=Count("pk")).values_list(field, "n"):
            counts[(kind, str(value))] = n
    words: Counter[str] = Counter()
    for name in Capability.objects.filter(archived=False).values_list("name", flat=True).iterator():
        words.update(name_words(name))
    counts.update({(FacetKind.WORD, w): n for w, n in words.items()})
    return counts


def stored(*, filters: bool = False) -> dict[Key, int]:
    """The current tenant's stored counts, zero rows left out; `filters`: only the list filters' kinds
    (not search's word vocabulary)."""
    rows = FacetCount.objects.filter(count__gt=0)
    if filters:
        rows = rows.exclude(kind=FacetKind.WORD)
    return {(kind, value): n for kind, value, n in rows.values_list("kind", "value", "count")}


def similar_words(words: Iterable[str], *, threshold: float, limit: int) -> dict[str, list[str]]:
    """For each typed word, up to `limit` vocabulary words (names of the tenant's capabilities) whose
    trigram word similarity to it reaches `threshold`, best first (PostgreSQL: pg_trgm). One query over
    the vocabulary, a few thousand rows at most, instead of a similarity per capability."""
    from django.contrib.postgres.search import TrigramWordSimilarity
    from django.db.models import Value
    from django.db.models.functions import Greatest

    typed = [w for w in dict.fromkeys(words) if len(w) > WORD_MIN_LENGTH]
    if not typed:
        return {}
    similarities = [TrigramWordSimilarity(Value(w), "value") for w in typed]
    best = Greatest(*similarities) if len(similarities) > 1 else similarities[0]
    rows = (
        FacetCount.objects.filter(kind=FacetKind.WORD, count__gt=0)
        .annotate(best=best, **{f"s{i}": s for i, s in enumerate(similarities)})
        .filter(best__gte=threshold)
        .values_list("value", *[f"s{i}" for i in range(len(typed))])
    )
    found: dict[str, list[tuple[float, str]]] = {w: [] for w in typed}
    for value, *scores in rows:
        for word, score in zip(typed, scores, strict=True):
            if score >= threshold and value != word:
                found[word].append((-score, value))
    return {w: [v for _, v in sorted(pairs)[:limit]] for w, pairs in found.items() if pairs}


def rebuild() -> None:
    """Replace the current tenant's stored counts by a recount (call inside a tenant context)."""
    tenant = require_current_tenant()
    FacetCount.objects.all().delete()
    FacetCount.objects.bulk_create(
        [FacetCount(tenant=tenant, kind=kind, value=value, count=n) for (kind, value), n in recount().items()]
    )
