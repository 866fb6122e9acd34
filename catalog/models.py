"""Platform capabilities: what a platform team offers, who owns it, and its state."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from portal.plugins.api import Team, TenantOwnedModel


class Lifecycle(models.TextChoices):
    EXPERIMENTAL = "experimental", "Experimental"
    BETA = "beta", "Beta"
    GA = "ga", "General availability"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


class Status(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded", "Degraded"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    MAINTENANCE = "maintenance", "Maintenance"


class Tag(TenantOwnedModel):
    name = models.SlugField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_tag_tenant_name")]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    TENANT = "tenant", "Whole tenant"
    TEAMS = "teams", "Only listed teams"


class Capability(TenantOwnedModel):
    """A platform capability developers consume (Kafka topics, CI runners, DNS...).

    `source_kind`/`source_namespace`/`source_name` identify a Backstage entity it was imported from
    (re-import is keyed on them); empty for capabilities created in Agora.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    category = models.CharField(max_length=100, blank=True)
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.GA)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="capabilities")
    support_channel = models.CharField(max_length=200, blank=True)
    oncall_url = models.URLField(max_length=500, blank=True, help_text="On-call / sheriff rota.")
    contact_email = models.EmailField(blank=True)
    slo_text = models.TextField(blank=True, help_text="SLO/SLA in words.")
    slo_target = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True, help_text="e.g. 99.9 (percent)."
    )
    dependencies = models.ManyToManyField(
        "self", through="CapabilityDependency", symmetrical=False, related_name="dependants", blank=True
    )
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.TENANT)
    visible_to_teams = models.ManyToManyField(
        Team, through="CapabilityVisibility", related_name="visible_capabilities", blank=True
    )
    source_kind = models.CharField(max_length=30, blank=True)
    source_type = models.CharField(max_length=60, blank=True)
    source_namespace = models.CharField(max_length=100, blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPERATIONAL)
    status_message = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, through="CapabilityTag", related_name="capabilities", blank=True)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Stored full-text document, refreshed by the services (see catalog.search). Its GIN index and the
    # trigram index on `name` are created by migration 0002 on PostgreSQL only (SQLite has neither).
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "capabilities"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="uniq_capability_tenant_slug"),
            models.UniqueConstraint(
                fields=["tenant", "source_kind", "source_namespace", "source_name"],
                condition=~models.Q(source_name=""),
                name="uniq_capability_backstage_entity",
            ),
        ]
        indexes = [
            # The list sorts (catalog page and API) read these in order and stop after a page; without them
            # every list request sorted the whole tenant (bench/catalog.py: a top-N heapsort of 20,000 rows).
            models.Index(fields=["tenant", "name", "id"], name="capability_name_idx"),
            models.Index(fields=["tenant", "-updated_at", "-id"], name="capability_updated_idx"),
            # The few team-restricted capabilities, counted per reader beside FacetCount (catalog.facets).
            models.Index(
                fields=["tenant"], condition=~models.Q(visibility="tenant"), name="capability_restricted_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def slo_target_label(self) -> str:
        """The target without trailing zeros: 99.950 -> "99.95", 100.000 -> "100"."""
        if self.slo_target is None:
            return ""
        return format(self.slo_target, "f").rstrip("0").rstrip(".")


class FacetKind(models.TextChoices):
    TOTAL = "total", "All"
    CATEGORY = "category", "Category"
    TEAM = "team", "Owner team"  # value: the team's id
    TAG = "tag", "Tag"
    LIFECYCLE = "lifecycle", "Lifecycle"
    STATUS = "status", "Status"
    WORD = "word", "Word of a name"  # search's typo vocabulary (catalog.search), not a filter


class FacetCount(TenantOwnedModel):
    """How many listed, tenant-wide capabilities carry each facet value: the catalog's filter choices and
    counts, read in one query instead of a DISTINCT over every capability (bench/catalog.py: 60 ms at 20,000).

    Exact, not a cache: the services apply each write's difference in the write's own transaction (a row
    lock on the capability orders concurrent writes; catalog.facets). Only capabilities every member sees
    count here (not archived, visibility "whole tenant"); team-restricted ones are counted per reader. The
    one exception is kind "word": the words of every non-archived capability's name, search's vocabulary
    for typos (a word only widens a search whose results are still filtered by visibility).
    Rows may reach 0 and stay; readers skip them.
    """

    kind = models.CharField(max_length=16, choices=FacetKind.choices)
    value = models.CharField(max_length=100)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "value"], name="uniq_facet_count"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}: {self.count}"


class SearchTerm(TenantOwnedModel):
    """One lexeme of a capability's stored search document (PostgreSQL only; catalog.search).

    Row-level security keeps PostgreSQL from using the GIN index for `@@`: the operator is not leakproof,
    so it runs on every row of the tenant after the policy (a full scan per search, 17 ms at 20,000
    capabilities). Text equality and the pattern comparisons `~>=~` `~<~` are leakproof, so a B-tree over
    these rows finds the capabilities whose documents hold a word or a word's prefix through an index; the
    exact match and the rank are then computed for those rows only. Written with the document, in the same
    statement group (`search.refresh`), so it never disagrees with it.
    """

    capability = models.ForeignKey("Capability", on_delete=models.CASCADE, related_name="+")
    term = models.TextField()

    class Meta:
        indexes = [
            # text_pattern_ops: byte-wise order whatever the database collation, so a prefix is a range.
            # (Operator classes are PostgreSQL's; other databases get a plain index.)
            models.Index(
                fields=["tenant", "term"], opclasses=["int8_ops", "text_pattern_ops"], name="search_term_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.term


class CapabilityDependency(TenantOwnedModel):
    """`capability` depends on `depends_on` (both in the same tenant)."""

    capability = models.ForeignKey(Capability, on_delete=models.CASCADE, related_name="dependency_links")
    depends_on = models.ForeignKey(Capability, on_delete=models.CASCADE, related_name="dependant_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability", "depends_on"], name="uniq_capability_dep"
            ),
            models.CheckConstraint(
                condition=~models.Q(capability=models.F("depends_on")), name="capability_dep_not_self"
            ),
        ]


class CapabilityVisibility(TenantOwnedModel):
    """A team allowed to see a capability whose visibility is "teams" (e.g. an early-access beta)."""

    capability = models.ForeignKey(Capability, on_delete=models.CASCADE, related_name="visibility_grants")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability", "team"], name="uniq_capability_visibility"
            )
        ]


class CapabilityTag(TenantOwnedModel):
    """Explicit through table so tag links carry a tenant and sit behind row-level security too."""

    capability = models.ForeignKey(Capability, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "capability", "tag"], name="uniq_capability_tag")
        ]


class LinkKind(models.TextChoices):
    DOCS = "docs", "Documentation"
    GETTING_STARTED = "getting_started", "Getting started"
    RUNBOOK = "runbook", "Runbook"
    REPOSITORY = "repository", "Repository"
    DASHBOARD = "dashboard", "Dashboard"
    API_REFERENCE = "api_reference", "API reference"
    CHAT = "chat", "Chat channel"
    OTHER = "other", "Other"


class CapabilityLink(TenantOwnedModel):
    capability = models.ForeignKey(Capability, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=20, choices=LinkKind.choices, default=LinkKind.DOCS)
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=500)

    class Meta:
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return f"{self.title} <{self.url}>"


# Releases, status updates and feed tokens live in a subpackage; imported here so Django registers them.
from catalog.releases.models import FeedToken, Release, StatusUpdate  # noqa: E402,F401
