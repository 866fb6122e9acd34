"""Finding similar requests while someone types a title, so duplicates are not filed in the first place.

PostgreSQL: a stored tsvector of title (weight A) and body (B), GIN-indexed (migration 0002), matched with
an OR of the typed words (a new title shares some words with its duplicate, rarely all) plus prefix
matching of the last word, ranked by `ts_rank` plus trigram similarity of the titles ("kafak" finds
"Kafka"). SQLite (the demo default): titles containing any of the significant words.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramSimilarity
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.functions import Cast

from requests_app.models import FeatureRequest

CONFIG = "english"
MIN_WORD = 3
MAX_WORDS = 8
# Words too common in request titles to say anything about similarity.
STOP = {"the", "and", "for", "with", "add", "support", "allow", "please", "should", "would", "from", "into"}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def refresh(feature_request: FeatureRequest) -> None:
    if not is_postgres():
        return
    FeatureRequest.objects.filter(pk=feature_request.pk).update(
        search_vector=SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("body", weight="B", config=CONFIG)
    )


def words(text: str) -> list[str]:
    found = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)]
    kept = [w for w in found if len(w) >= MIN_WORD and w not in STOP]
    return list(dict.fromkeys(kept))[:MAX_WORDS]


def similar(qs: QuerySet[FeatureRequest], title: str) -> QuerySet[FeatureRequest]:
    """`qs` narrowed to requests resembling `title`, best first (annotated `rank`)."""
    title = title[:300].replace("\x00", "")  # any text may come in; PostgreSQL refuses NUL characters
    terms = words(title)
    if not terms:
        return qs.none()
    if is_postgres():
        raw = " | ".join([*terms[:-1], f"{terms[-1]}:*"])
        query = SearchQuery(raw, config=CONFIG, search_type="raw")
        return (
            qs.annotate(
                text_rank=SearchRank(F("search_vector"), query),
                title_similarity=TrigramSimilarity("title", title),
            )
            .filter(Q(search_vector=query) | Q(title_similarity__gte=0.3))
            .annotate(rank=Cast(F("text_rank") + F("title_similarity"), FloatField()))
            .order_by("-rank", "-vote_count", "-id")
        )
    match = Q()
    for term in terms:
        match |= Q(title__icontains=term)
    return qs.filter(match).order_by("-vote_count", "-id")
