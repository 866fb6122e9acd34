"""Ranked search over capabilities.

PostgreSQL: a stored `tsvector` (`Capability.search_vector`, GIN-indexed) holds name (weight A), summary and
tags (B) and description (C). It is stored rather than an expression index because tags live in another
table, which an index expression cannot read; the services refresh it after every write. Names also match
by trigram word similarity (pg_trgm), so "kafak" still finds "Kafka Topics": each typed word is compared
with the vocabulary of the tenant's name words (FacetCount kind "word", kept by the services), and the
close ones join the full-text query. Never a similarity per capability in the WHERE clause: under
row-level security PostgreSQL cannot use an index for operators that are not leakproof (`@@`, `%>`,
LIKE), so every predicate is evaluated per row, and pg_trgm's was 90% of a search at 20,000 capabilities
(bench/catalog.py). For the same reason the document's lexemes are also stored one per row
(`SearchTerm`): a search of plain words first finds its matches there through a B-tree (equality and
byte-wise ranges, which are leakproof), and the rank runs on those rows only. That path finds words and
their beginnings ("kaf" finds Kafka), and fragments of name words through the close spellings ("flow" is
close to "airflow"). Words PostgreSQL's parser splits and text of stop words only keep the full scan,
which also matches names containing the text ("ours" finds "Ours"). Search syntax (a "quoted phrase",
`-word`, `or`) is taken literally: the websearch query alone, without prefixes and typos, so an excluded
word stays excluded. Ranking: full-text rank plus name similarity.

SQLite (the demo default): every typed word must appear somewhere in the same fields (name, summary,
description, category, tags), in any order ("namespaces quota" finds a capability with "quota" in its summary
and "namespaces" in its description). Words of at least TYPO_MIN_LENGTH letters that are no word of the
tenant's capabilities (names, summaries, categories, tags: a bounded vocabulary) also match the vocabulary
words one edit away (insert, delete, substitute or swap two letters), so "kafak" finds "Kafka". Ranked: all
words in the name, then some in the name, then summary, then elsewhere.
"""

from __future__ import annotations

import re

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Greatest

from catalog import facets
from catalog.models import Capability, SearchTerm, Tag

CONFIG = "english"
TRIGRAM_THRESHOLD = 0.3
TYPO_SPELLINGS = 5  # vocabulary words tried per typed word
MAX_WORDS = 8
TYPO_MIN_LENGTH = 5
VOCABULARY_ROWS = (
    2000  # capabilities (and tags) read for typo correction: bounded whatever the catalog's size
)


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
    # The document's lexemes as rows, replaced in one statement (row-level security keeps it in the tenant).
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (DELETE FROM catalog_searchterm WHERE capability_id = %(id)s) "  # nosec B608: constants only
            + TERMS_FROM_DOCUMENTS
            + "id = %(id)s",
            {"id": capability.pk},
        )


# SearchTerm rows from stored documents, for the capabilities the appended condition picks (a bulk load in
# bench/catalog.py uses it too, so its rows are exactly what `refresh` writes).
TERMS_FROM_DOCUMENTS = (
    "INSERT INTO catalog_searchterm (tenant_id, capability_id, term) "
    "SELECT tenant_id, id, unnest(tsvector_to_array(search_vector)) FROM catalog_capability WHERE "
)


def apply(qs: QuerySet[Capability], text: str) -> QuerySet[Capability]:
    """Filter `qs` to matches of `text` and annotate `rank`; order by rank (best first)."""
    text = text.strip()[:200]
    if not text:
        return qs
    if is_postgres():
        query = SearchQuery(text, config=CONFIG, search_type="websearch")
        matches = Q(search_vector=query) | Q(name__icontains=text)
        text_rank = SearchRank(F("search_vector"), query)
        words = [w.lower() for w in _words(text)][:MAX_WORDS]
        if words and not SYNTAX.search(text):
            # Each word as a prefix (results while the last word is still typed: "kaf") or as one of the
            # names' words it is a typo of ("kafak" -> kafka), all words required.
            close = facets.similar_words(words, threshold=TRIGRAM_THRESHOLD, limit=TYPO_SPELLINGS)
            either = [" | ".join([f"{w}:*", *close.get(w, [])]) for w in words]
            spelled = SearchQuery(" & ".join(f"({e})" for e in either), config=CONFIG, search_type="raw")
            matches |= Q(search_vector=spelled)
            text_rank = text_rank + SearchRank(F("search_vector"), spelled)
            if PLAIN.fullmatch(text):
                narrowed = _matches_by_terms(qs, words, close)
                if narrowed is not None:
                    qs, matches = narrowed, Q()
        return (
            qs.annotate(text_rank=text_rank, name_similarity=TrigramWordSimilarity(text, "name"))
            .filter(matches)
            # ts_rank and similarity are float4; the API's cursor stores the rank as text and compares it
            # again, and a float4 printed short does not round-trip (rows repeat or vanish between pages).
            # As double precision it does.
            .annotate(rank=Cast(Greatest(F("text_rank"), F("name_similarity")), FloatField()))
            .order_by("-rank", "name")
        )
    return apply_words(qs, text)


# Websearch syntax: a quoted phrase, an excluded word (`-word`), `or` between words. Such text is taken
# literally: the spelled query (each word as a prefix or a typo, all required) would match what the syntax
# excludes ("kafka -connect" found Kafka Connect) and turn a phrase into loose words.
SYNTAX = re.compile(r'"|(?:^|\s)-\w|(?:^|\s)or(?:\s|$)', re.IGNORECASE)
PLAIN = re.compile(r"[^\W_]+(\s+[^\W_]+)*")  # letters and digits between spaces: no search syntax


def _matches_by_terms(
    qs: QuerySet[Capability], words: list[str], close: dict[str, list[str]]
) -> QuerySet[Capability] | None:
    """`qs` narrowed to exactly the matches of `apply`'s two queries, found through the B-tree of
    `SearchTerm` instead of `@@` on every row; None when the text needs the full scan.

    For plain words the websearch query asks for every word's stem and the spelled query for every word
    a lexeme beginning with its stem or equal to the stem of one of its close spellings; the second
    contains the first, so the union is the spelled query: per word, one set of terms. PostgreSQL drops a
    stop word from both queries, so it constrains nothing here either. The full scan stays for the rest:
    a stop word with close spellings (the spelled query keeps those, the websearch query not), a word or
    spelling the parser splits into several lexemes, and text of stop words only.
    """
    stems = _stems([*words, *(c for w in words for c in close.get(w, []))])
    if any(len(lexemes) > 1 for lexemes in stems.values()):
        return None
    if any(not stems.get(w) and close.get(w) for w in words):
        return None
    constraining = [w for w in words if stems.get(w)]
    if not constraining:
        return None
    for word in constraining:
        stem = stems[word][0]
        spelled = [s for c in close.get(word, []) for s in stems.get(c, ())]
        # `~>=~` / `~<~` compare bytes (text_pattern_ops): every term beginning with `stem` lies between.
        prefix = RawSQL("(term ~>=~ %s AND term ~<~ %s)", [stem, stem + "\U0010ffff"], BooleanField())
        hits = SearchTerm.objects.filter(prefix | Q(term__in=spelled) if spelled else prefix)
        qs = qs.filter(AnyOf(F("pk"), ArraySubquery(hits.values("capability_id"))))
    return qs


class AnyOf(Func):
    """`value = ANY(ARRAY(subquery))`: the subquery runs once, before the scan (an init plan), and the
    capabilities are then read by primary key. As `IN (subquery)` the planner joined the terms' rows with
    every team before reading a capability (390,000 rows for a word in 2,000 of 20,000 capabilities)."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()


def _stems(words: list[str]) -> dict[str, list[str]]:
    """Each word with its lexemes as PostgreSQL's parser and the search configuration make them (none for
    a stop word, several for a word the parser splits): one query, no table read."""
    unique = list(dict.fromkeys(words))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w, tsvector_to_array(to_tsvector(%s::regconfig, w)) FROM unnest(%s::text[]) AS w",
            [CONFIG, unique],
        )
        return {word: list(lexemes) for word, lexemes in cursor.fetchall()}


def apply_words(qs: QuerySet[Capability], text: str) -> QuerySet[Capability]:
    """The SQLite path: AND over the typed words, each an OR over its spellings and the searched fields."""
    terms = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", text)))[:MAX_WORDS]
    if not terms:  # punctuation only: nothing matches (annotated like a match, for callers ordering by rank)
        return qs.annotate(rank=Value(0, output_field=IntegerField())).none()
    spellings = _spellings(qs, terms)
    match = Q()
    in_name_all = Q()
    in_name_any = Q(pk__in=[])
    in_summary_any = Q(pk__in=[])
    for term in terms:
        word = Q()
        name = Q()
        summary = Q()
        for spelling in spellings[term]:
            word |= (
                Q(name__icontains=spelling)
                | Q(summary__icontains=spelling)
                | Q(description__icontains=spelling)
                | Q(category__icontains=spelling)
                | Q(tags__name__icontains=spelling)
            )
            name |= Q(name__icontains=spelling)
            summary |= Q(summary__icontains=spelling)
        ids = qs.filter(word).values("pk")
        match &= Q(pk__in=ids)
        in_name_all &= name
        in_name_any |= name
        in_summary_any |= summary
    return (
        qs.filter(match)
        .annotate(
            rank=Case(
                When(in_name_all, then=Value(4)),
                When(in_name_any, then=Value(3)),
                When(in_summary_any, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("-rank", "name")
    )


def _spellings(qs: QuerySet[Capability], terms: list[str]) -> dict[str, list[str]]:
    """Each term with the vocabulary words one edit away (only for long terms the vocabulary lacks)."""
    spellings = {term: [term] for term in terms}
    long_terms = [t for t in terms if len(t) >= TYPO_MIN_LENGTH]
    if not long_terms:
        return spellings
    vocabulary = _vocabulary(qs)
    for term in long_terms:
        if term in vocabulary:
            continue
        close = sorted(w for w in vocabulary if abs(len(w) - len(term)) <= 1 and within_one_edit(term, w))
        spellings[term].extend(close[:5])
    return spellings


def _vocabulary(qs: QuerySet[Capability]) -> set[str]:
    """Words of the capabilities being searched and of the tenant's tags (two bounded queries)."""
    words: set[str] = set()
    rows = qs.order_by().values_list("name", "summary", "category")[:VOCABULARY_ROWS]
    for row in rows:
        for field in row:
            words.update(w.lower() for w in re.findall(r"\w+", field or "") if len(w) >= TYPO_MIN_LENGTH - 1)
    words.update(
        w.lower()
        for name in Tag.objects.values_list("name", flat=True)[:VOCABULARY_ROWS]
        for w in re.findall(r"\w+", name)
    )
    return words


def within_one_edit(a: str, b: str) -> bool:
    """True when `b` is `a` with at most one insertion, deletion, substitution or swap of neighbours."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def _words(text: str) -> list[str]:
    """Words safe to use in a raw tsquery (letters and digits only)."""
    return ["".join(ch for ch in w if ch.isalnum()) for w in text.split() if any(ch.isalnum() for ch in w)]
