"""Writes for the catalog. One transaction per use case; every change emits a domain event.

Services validate their input completely before writing and raise `django.core.exceptions.ValidationError`
with per-field messages, which pages show inline and the API turns into a 400 with `fields`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog import facets, search
from catalog.models import (
    Capability,
    CapabilityDependency,
    CapabilityLink,
    CapabilityTag,
    CapabilityVisibility,
    Lifecycle,
    LinkKind,
    Status,
    Tag,
    Visibility,
)
from portal.plugins.api import Membership, Team, audit_record, event_emit, get_current_tenant, is_tenant_admin

# Plain fields a caller may set; relations (tags, links, dependencies, visible teams) have their own keys.
EDITABLE_FIELDS = (
    "name",
    "slug",
    "summary",
    "description",
    "category",
    "lifecycle",
    "owner_team",
    "support_channel",
    "oncall_url",
    "contact_email",
    "slo_text",
    "slo_target",
    "visibility",
)
# Relations given to create/update replace the current set (reported as changed in the update event).
RELATIONS = ("tags", "links", "dependencies", "visible_to_teams")
MAX_DESCRIPTION = 50_000
MAX_SLO_TEXT = 5_000
MAX_LINKS = 50
RESERVED_SLUGS = {"new", "mine", "import", "export", "changelog", "status", "releases", "feeds"}
_url = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class LinkSpec:
    kind: str
    title: str
    url: str


def _as_links(links: Iterable[Any]) -> list[LinkSpec]:
    out = []
    for item in links:
        if isinstance(item, LinkSpec):
            out.append(item)
        elif isinstance(item, dict):
            out.append(LinkSpec(item.get("kind", "docs"), item.get("title", ""), item.get("url", "")))
        else:
            kind, title, url = item
            out.append(LinkSpec(kind, title, url))
    return out


def validate_http_url(value: str, field: str) -> None:
    """Only absolute http(s) URLs: `javascript:`, `data:` and relative URLs are refused."""
    try:
        _url(value)
    except ValidationError:
        raise ValidationError({field: "Enter a full http:// or https:// URL."}) from None
    if urlsplit(value).scheme.lower() not in {"http", "https"}:
        raise ValidationError({field: "Only http:// and https:// links are allowed."})


def _validate(data: dict[str, Any], *, instance: Capability | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    clean = dict(data)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            err("name", "A capability needs a name.")
        elif len(clean["name"]) > 200:
            err("name", "At most 200 characters.")
    if "slug" in clean or instance is None:
        slug = slugify(clean.get("slug") or clean.get("name") or "")[:100]
        if not slug:
            err("slug", "Give a slug made of letters, digits and hyphens.")
        elif slug in RESERVED_SLUGS:
            err("slug", f"'{slug}' is reserved for a catalog page; choose another slug.")
        elif Capability.objects.filter(slug=slug).exclude(pk=getattr(instance, "pk", None)).exists():
            err("slug", f"Another capability already uses the slug '{slug}'.")
        clean["slug"] = slug
    if len(clean.get("summary") or "") > 300:
        err("summary", "Keep the summary to one line (300 characters at most).")
    if len(clean.get("description") or "") > MAX_DESCRIPTION:
        err("description", f"At most {MAX_DESCRIPTION} characters.")
    # Column limits checked here, not left to the database: PostgreSQL would refuse with a 500.
    for field in ("category", "support_channel", "oncall_url", "contact_email"):
        limit = Capability._meta.get_field(field).max_length
        if len(clean.get(field) or "") > limit:
            err(field, f"At most {limit} characters.")
    if len(clean.get("slo_text") or "") > MAX_SLO_TEXT:
        err("slo_text", f"At most {MAX_SLO_TEXT} characters.")
    if "lifecycle" in clean and clean["lifecycle"] not in Lifecycle.values:
        err("lifecycle", f"Choose one of: {', '.join(Lifecycle.values)}.")
    if "visibility" in clean and clean["visibility"] not in Visibility.values:
        err("visibility", f"Choose one of: {', '.join(Visibility.values)}.")
    # Callers resolve references through tenant-scoped querysets; checking again here keeps a buggy caller
    # (or an importer) from linking rows of two tenants: FK checks bypass row-level security.
    tenant_id = instance.tenant_id if instance is not None else getattr(get_current_tenant(), "pk", None)
    if ("owner_team" in clean or instance is None) and not isinstance(clean.get("owner_team"), Team):
        err("owner_team", "Choose the team that owns this capability.")
    elif "owner_team" in clean and clean["owner_team"].tenant_id != tenant_id:
        err("owner_team", "That team does not exist in this tenant.")
    elif (
        "owner_team" in clean
        and clean["owner_team"].archived_at is not None
        and (instance is None or instance.owner_team_id != clean["owner_team"].pk)
    ):
        err("owner_team", "That team is archived: it owns nothing new.")
    if clean.get("oncall_url"):
        try:
            validate_http_url(clean["oncall_url"], "oncall_url")
        except ValidationError as exc:
            err("oncall_url", exc.message_dict["oncall_url"][0])
    if clean.get("contact_email"):
        try:
            EmailValidator()(clean["contact_email"])
        except ValidationError:
            err("contact_email", "Enter a valid email address.")
    if clean.get("slo_target") not in (None, ""):
        try:
            target = Decimal(str(clean["slo_target"]))
        except InvalidOperation:
            err("slo_target", "Enter a percentage such as 99.9.")
        else:
            if not Decimal(0) <= target <= Decimal(100):
                err("slo_target", "A percentage between 0 and 100.")
            clean["slo_target"] = target
    elif "slo_target" in clean:
        clean["slo_target"] = None
    for field in ("summary", "description", "category", "support_channel", "slo_text", "oncall_url"):
        if field in clean and clean[field] is None:
            clean[field] = ""
    if "links" in clean:
        links = _as_links(clean["links"])
        if len(links) > MAX_LINKS:
            err("links", f"At most {MAX_LINKS} links.")
        for i, link in enumerate(links):
            if len(link.url or "") > 500:
                err("links", f"Link {i + 1}: the URL is longer than 500 characters.")
            if link.kind not in LinkKind.values:
                err("links", f"Link {i + 1}: unknown kind '{link.kind}'.")
            if not (link.title or "").strip():
                err("links", f"Link {i + 1}: give it a title.")
            try:
                validate_http_url(link.url, "links")
            except ValidationError:
                err("links", f"Link {i + 1}: only full http:// or https:// URLs are allowed.")
        clean["links"] = links
    if "tags" in clean:
        clean["tags"] = sorted({slugify(t)[:50] for t in clean["tags"] if slugify(t)})
        if len(clean["tags"]) > 20:
            err("tags", "At most 20 tags.")
    if "dependencies" in clean:
        deps = list(clean["dependencies"])
        if instance is not None and any(d.pk == instance.pk for d in deps):
            err("dependencies", "A capability cannot depend on itself.")
        if any(d.tenant_id != tenant_id for d in deps):
            err("dependencies", "Dependencies must be capabilities of this tenant.")
        clean["dependencies"] = list({d.pk: d for d in deps}.values())  # duplicates collapse
    visibility = clean.get("visibility", getattr(instance, "visibility", Visibility.TENANT))
    if "visible_to_teams" in clean:
        clean["visible_to_teams"] = list({t.pk: t for t in clean["visible_to_teams"]}.values())
        if any(t.tenant_id != tenant_id for t in clean["visible_to_teams"]):
            err("visible_to_teams", "Teams must belong to this tenant.")
    if visibility == Visibility.TEAMS and ("visibility" in clean or "visible_to_teams" in clean):
        if "visible_to_teams" in clean:
            listed = bool(clean["visible_to_teams"])
        else:
            listed = instance is not None and instance.visibility_grants.exists()
        if not listed:
            err("visible_to_teams", "List at least one team, or make it visible to the whole tenant.")
    if errors:
        raise ValidationError(errors)
    return clean


def _write_relations(capability: Capability, clean: dict[str, Any]) -> None:
    if "tags" in clean:
        _set_tags(capability, clean["tags"])
    if "links" in clean:
        CapabilityLink.objects.filter(capability=capability).delete()
        CapabilityLink.objects.bulk_create(
            [
                CapabilityLink(
                    capability=capability, kind=link.kind, title=link.title.strip()[:200], url=link.url,
                    tenant_id=capability.tenant_id,
                )
                for link in clean["links"]
            ]
        )  # fmt: skip
    if "dependencies" in clean:
        _set_dependencies(capability, clean["dependencies"])
    if "visible_to_teams" in clean:
        CapabilityVisibility.objects.filter(capability=capability).delete()
        CapabilityVisibility.objects.bulk_create(
            [
                CapabilityVisibility(capability=capability, team=t, tenant_id=capability.tenant_id)
                for t in clean["visible_to_teams"]
            ]
        )


def _set_dependencies(capability: Capability, deps: Sequence[Capability]) -> None:
    wanted = {d.pk for d in deps}
    # Refuse cycles: none of the new dependencies may (transitively) depend on this capability.
    frontier, seen = set(wanted), set()
    while frontier:
        if capability.pk in frontier:
            raise ValidationError({"dependencies": "That would create a dependency cycle."})
        seen |= frontier
        frontier = (
            set(
                CapabilityDependency.objects.filter(capability_id__in=frontier).values_list(
                    "depends_on_id", flat=True
                )
            )
            - seen
        )
    CapabilityDependency.objects.filter(capability=capability).exclude(depends_on_id__in=wanted).delete()
    have = set(
        CapabilityDependency.objects.filter(capability=capability).values_list("depends_on_id", flat=True)
    )
    CapabilityDependency.objects.bulk_create(
        [
            CapabilityDependency(capability=capability, depends_on_id=pk, tenant_id=capability.tenant_id)
            for pk in wanted - have
        ]
    )


def capability_validate(*, data: dict[str, Any], capability: Capability | None = None) -> None:
    """Check `data` as create (no `capability`) or update would, without writing anything.

    Lets a page report every problem in one round, including fields its form could not parse.
    """
    _validate(data, instance=capability)


@transaction.atomic
def capability_create(*, owner_team: Team, name: str, **data: Any) -> Capability:
    """Create a capability with its tags, `(kind, title, url)` links, dependencies and visible teams."""
    clean = _validate({"owner_team": owner_team, "name": name, **data}, instance=None)
    try:
        with transaction.atomic():  # savepoint: a concurrent create with the same slug loses cleanly
            capability = Capability.objects.create(**{k: v for k, v in clean.items() if k in EDITABLE_FIELDS})
    except IntegrityError:
        raise ValidationError(
            {"slug": f"Another capability already uses the slug '{clean['slug']}'."}
        ) from None
    _write_relations(capability, clean)
    search.refresh(capability)
    facets.record(capability.tenant_id, facets.counted(None), facets.counted(capability.pk, lock=False))
    event_emit("catalog.capability_created", {"capability_id": capability.pk, "slug": capability.slug})
    return capability


@transaction.atomic
def capability_update(*, capability: Capability, **data: Any) -> Capability:
    """Change any editable field or relation; only the keys given are touched."""
    before = facets.counted(capability.pk)
    clean = _validate(data, instance=capability)
    changed = []
    for field in EDITABLE_FIELDS:
        if field in clean and getattr(capability, field) != clean[field]:
            setattr(capability, field, clean[field])
            changed.append(field)
    capability.save()
    _write_relations(capability, clean)
    search.refresh(capability)
    facets.record(capability.tenant_id, before, facets.counted(capability.pk, lock=False))
    event_emit(
        "catalog.capability_updated",
        {
            "capability_id": capability.pk,
            "slug": capability.slug,
            "changed": sorted(changed + [key for key in RELATIONS if key in clean]),
        },
    )
    return capability


@transaction.atomic
def capability_archive(*, capability: Capability, archived: bool = True) -> Capability:
    """Archived capabilities leave lists and search but keep their page, history and links."""
    before = facets.counted(capability.pk)
    if capability.archived != archived:
        capability.archived = archived
        capability.save(update_fields=["archived", "updated_at"])
        facets.record(capability.tenant_id, before, facets.counted(capability.pk, lock=False))
        event_emit(
            "catalog.capability_archived" if archived else "catalog.capability_unarchived",
            {"capability_id": capability.pk, "slug": capability.slug},
        )
    return capability


@transaction.atomic
def capability_transfer(*, capability: Capability, team: Team, actor: Membership | None) -> Capability:
    """Give a capability to another team (tenant admins; `actor` None is the system). The new team's
    maintainers edit it from now on; releases and history stay with the capability. Audited."""
    if actor is not None and not is_tenant_admin(actor):
        raise PermissionDenied("Only tenant admins can transfer a capability to another team.")
    if not isinstance(team, Team) or team.tenant_id != capability.tenant_id:
        raise ValidationError({"team": "That team does not exist in this tenant."})
    if team.archived_at is not None:
        raise ValidationError({"team": "That team is archived: it owns nothing new."})
    before_counts = facets.counted(capability.pk)  # takes the row lock
    capability = Capability.objects.select_related("owner_team").get(pk=capability.pk)
    if capability.owner_team_id == team.pk:
        raise ValidationError({"team": "The capability already belongs to this team."})
    before = {"owner_team": capability.owner_team.slug}
    capability.owner_team = team
    capability.save(update_fields=["owner_team", "updated_at"])
    facets.record(capability.tenant_id, before_counts, facets.counted(capability.pk, lock=False))
    audit_record(
        actor=actor, action="capability.transfer", target=capability, before=before,
        after={"owner_team": team.slug},
    )  # fmt: skip
    event_emit(
        "catalog.capability_transferred",
        {
            "capability_id": capability.pk,
            "slug": capability.slug,
            "from": before["owner_team"],
            "to": team.slug,
        },
    )
    return capability


@transaction.atomic
def capability_set_tags(*, capability: Capability, tags: Iterable[str]) -> Capability:
    """Replace the tags alone (e.g. from a tag editor); same rules and event as `capability_update`."""
    return capability_update(capability=capability, tags=list(tags))


def _set_tags(capability: Capability, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n, tenant_id=capability.tenant_id) for n in names if n not in existing]
    for tag in Tag.objects.bulk_create(missing):
        existing[tag.name] = tag
    CapabilityTag.objects.filter(capability=capability).exclude(tag__name__in=names).delete()
    have = set(CapabilityTag.objects.filter(capability=capability).values_list("tag__name", flat=True))
    CapabilityTag.objects.bulk_create(
        [
            CapabilityTag(capability=capability, tag=existing[n], tenant_id=capability.tenant_id)
            for n in names
            if n not in have
        ]
    )


@transaction.atomic
def capability_set_status(*, capability: Capability, status: str, message: str = "") -> Capability:
    if status not in Status.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(Status.values)}."})
    if len(message) > 300:
        raise ValidationError({"status_message": "At most 300 characters."})
    before = facets.counted(capability.pk)
    capability.status = status
    capability.status_message = message
    capability.status_changed_at = timezone.now()
    capability.save(update_fields=["status", "status_message", "status_changed_at", "updated_at"])
    facets.record(capability.tenant_id, before, facets.counted(capability.pk, lock=False))
    event_emit(
        "catalog.status_changed", {"capability_id": capability.pk, "status": status, "message": message}
    )
    return capability
