"""Ranked search over capabilities.

PostgreSQL: a stored `tsvector` (`Capability.search_vector`, GIN-indexed) holds name (weight A), summary and
tags (B) and description (C). It is stored rather than an expression index because tags live in another
table, which an index expression cannot read; the services refresh it after every write. Names also match
by trigram word similarity (pg_trgm), so "kafak" still finds "Kafka Topics". Ranking: full-text rank
plus name similarity.

SQLite (the demo default): case-insensitive containment over the same fields, names first.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Greatest

from catalog.models import Capability

CONFIG = "english"
TRIGRAM_THRESHOLD = 0.3


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def refresh(capability: Capability) -> None:
    """Recompute the stored search document of one capability (PostgreSQL only)."""
    if not is_postgres():
        return
    tags = " ".join(capability.tags.values_list("name", flat=True))
    Capability.objects.filter(pk=capability.pk).update(
        search_vector=SearchVector("name", weight="A", config=CONFIG)
        + SearchVector("summary", weight="B", config=CONFIG)
        + SearchVector(Value(tags), weight="B", config=CONFIG)
        + SearchVector("category", weight="B", config=CONFIG)
        + SearchVector("description", weight="C", config=CONFIG)
    )


def apply(qs: QuerySet[Capability], text: str) -> QuerySet[Capability]:
    """Filter `qs` to matches of `text` and annotate `rank`; order by rank (best first)."""
    text = text.strip()[:200]
    if not text:
        return qs
    if is_postgres():
        query = SearchQuery(text, config=CONFIG, search_type="websearch")
        matches = Q(search_vector=query) | Q(name_similarity__gte=TRIGRAM_THRESHOLD) | Q(name__icontains=text)
        text_rank = SearchRank(F("search_vector"), query)
        words = _words(text)
        if words:
            # Prefix matching, so results appear while the last word is still being typed ("kaf").
            prefix = SearchQuery(" & ".join(f"{w}:*" for w in words), config=CONFIG, search_type="raw")
            matches |= Q(search_vector=prefix)
            text_rank = text_rank + SearchRank(F("search_vector"), prefix)
        return (
            qs.annotate(text_rank=text_rank, name_similarity=TrigramWordSimilarity(text, "name"))
            .filter(matches)
            # ts_rank and similarity are float4; the API's cursor stores the rank as text and compares it
            # again, and a float4 printed short does not round-trip (rows repeat or vanish between pages).
            # As double precision it does.
            .annotate(rank=Cast(Greatest(F("text_rank"), F("name_similarity")), FloatField()))
            .order_by("-rank", "name")
        )
    match = (
        Q(name__icontains=text)
        | Q(summary__icontains=text)
        | Q(description__icontains=text)
        | Q(category__icontains=text)
        | Q(tags__name__icontains=text)
    )
    ids = qs.filter(match).values("pk")
    return (
        qs.filter(pk__in=ids)
        .annotate(
            rank=Case(
                When(name__icontains=text, then=Value(3)),
                When(summary__icontains=text, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("-rank", "name")
    )


def _words(text: str) -> list[str]:
    """Words safe to use in a raw tsquery (letters and digits only)."""
    return ["".join(ch for ch in w if ch.isalnum()) for w in text.split() if any(ch.isalnum() for ch in w)]
