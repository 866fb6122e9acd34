"""Writes for releases: one transaction per use case, validated input, a domain event per change.

State machine (anything else raises `TransitionError`, which the API answers with 409):

    draft --schedule--> scheduled --unschedule--> draft
    draft|scheduled --publish--> published            (final; only the wording may be corrected)
    scheduled --(beat, time reached)--> published

Every transition locks the release row (`select_for_update`) and re-reads its state under the lock, so a
double click, a retried API call and the beat racing a maintainer publish it once and emit
`catalog.release_published` exactly once.

Status updates (`status_update_post`) form incident threads: the first non-operational update opens one,
follow-ups join it, a resolving update closes it and sets the capability back to operational.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from catalog.models import Capability, Status
from catalog.releases.models import Release, ReleaseKind, ReleaseState, StatusUpdate
from catalog.services import capability_set_status
from portal.plugins.api import (
    event_emit,
    get_current_tenant,
    reference_errors,
    render_markdown,
    tenant_reverse,
)

VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")
MAX_TITLE = 200
MAX_NOTES = 50_000
MAX_UPGRADE_NOTES = 20_000
MAX_SHIPPED = 50
MAX_REQUEST_NUMBER = 2**31 - 1
MAX_SCHEDULE_AHEAD = timedelta(days=366)
MAX_STATUS_MESSAGE = 5_000
CAPABILITY_STATUS_MESSAGE = 300  # catalog.Capability.status_message
FIELDS = ("capability", "version", "title", "notes", "kind", "upgrade_notes", "ships_request_numbers")
# What may still change once a release is published (its announcement was sent and acted upon).
TEXT_FIELDS = ("title", "notes", "upgrade_notes")


class TransitionError(Exception):
    """The release is in a state that does not allow this (e.g. publishing it twice): a 409, not a 400."""


def version_key(version: str) -> str:
    """`V1.4.0` and `v1.4.0` and `1.4.0` are one version; `1.4` and `1.4.0` stay distinct (free text)."""
    key = version.strip().lower()
    return key[1:] if re.match(r"^v\d", key) else key


def _request_numbers(value: Any, err) -> list[int]:
    """Positive ints, deduplicated, sorted. The format only: `_check_shipped_requests` resolves them."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        err("ships_request_numbers", "Give a list of request numbers such as [12, 15].")
        return []
    numbers = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= MAX_REQUEST_NUMBER:
            err("ships_request_numbers", f"'{item}' is not a request number (a positive whole number).")
            return []
        numbers.append(item)
    numbers = sorted(set(numbers))
    if len(numbers) > MAX_SHIPPED:
        err("ships_request_numbers", f"At most {MAX_SHIPPED} requests per release.")
    return numbers


def _check_shipped_requests(clean: dict[str, Any], instance: Release | None, err) -> None:
    """Every number must name a request this release can ship, asked of the plugin that owns requests (the
    catalog does not import it); without such a plugin there is nothing to check against."""
    numbers = clean.get("ships_request_numbers", getattr(instance, "ships_request_numbers", []))
    capability = clean.get("capability") or getattr(instance, "capability", None)
    if not numbers or capability is None:
        return
    problems = reference_errors(kind="request", keys=numbers, context={"capability_id": capability.pk})
    for number in sorted(problems or {}):
        err("ships_request_numbers", problems[number])


def _validate(data: dict[str, Any], *, instance: Release | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    clean = dict(data)
    unknown = set(clean) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown release fields: {sorted(unknown)}")
    tenant = get_current_tenant()
    if "capability" in clean or instance is None:
        capability = clean.get("capability")
        if not isinstance(capability, Capability):
            err("capability", "Choose the capability this release belongs to.")
        elif tenant is None or capability.tenant_id != tenant.pk:  # FK checks bypass row-level security
            err("capability", "That capability does not exist in this tenant.")
    if "version" in clean or instance is None:
        version = (clean.get("version") or "").strip()
        if not version:
            err("version", "Give the version, e.g. 1.4.0 or 2025.06.")
        elif not VERSION_RE.match(version):
            err("version", "Letters, digits and . + - _ only, starting with a letter or digit (64 at most).")
        clean["version"] = version
    if "title" in clean or instance is None:
        clean["title"] = (clean.get("title") or "").strip()
        if not clean["title"]:
            err("title", "Give the release a title.")
        elif len(clean["title"]) > MAX_TITLE:
            err("title", f"At most {MAX_TITLE} characters.")
    for field, limit in (("notes", MAX_NOTES), ("upgrade_notes", MAX_UPGRADE_NOTES)):
        if field in clean:
            clean[field] = (clean[field] or "").strip()
            if len(clean[field]) > limit:
                err(field, f"At most {limit} characters.")
    if "kind" in clean or instance is None:
        clean["kind"] = clean.get("kind") or ReleaseKind.FEATURE
        if clean["kind"] not in ReleaseKind.values:
            err("kind", f"Choose one of: {', '.join(ReleaseKind.values)}.")
    if "ships_request_numbers" in clean:
        clean["ships_request_numbers"] = _request_numbers(clean["ships_request_numbers"], err)
    kind = clean.get("kind", getattr(instance, "kind", None))
    upgrade = clean.get("upgrade_notes", getattr(instance, "upgrade_notes", ""))
    if kind == ReleaseKind.BREAKING and not upgrade:
        err("upgrade_notes", "A breaking change needs upgrade notes: tell people what to change.")
    if not errors and ("ships_request_numbers" in clean or "capability" in clean):
        _check_shipped_requests(clean, instance, err)
    if not errors and "version" in clean:
        capability = clean.get("capability") or instance.capability  # type: ignore[union-attr]
        taken = Release.objects.filter(capability=capability, version_key=version_key(clean["version"]))
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            err("version", f"{capability.name} already has a release {clean['version']}.")
    if errors:
        raise ValidationError(errors)
    return clean


def _save(release: Release, *, fields: list[str] | None = None) -> None:
    """Save; a concurrent release with the same version loses with a field error, not a 500."""
    try:
        with transaction.atomic():
            release.save(update_fields=fields)
    except IntegrityError:
        raise ValidationError(
            {"version": f"{release.capability.name} already has a release {release.version}."}
        ) from None


def _event(name: str, release: Release, **extra: Any) -> None:
    event_emit(
        name,
        {
            "release_id": release.pk,
            "capability_id": release.capability_id,
            "version": release.version,
            **extra,
        },
    )


@transaction.atomic
def release_create(
    *,
    capability: Capability,
    version: str,
    title: str,
    kind: str = ReleaseKind.FEATURE,
    notes: str = "",
    upgrade_notes: str = "",
    ships_request_numbers: Iterable[int] = (),
    user: Any = None,
) -> Release:
    """A new draft. Publish or schedule it with `release_publish` / `release_schedule`."""
    clean = _validate(
        {
            "capability": capability, "version": version, "title": title, "kind": kind, "notes": notes,
            "upgrade_notes": upgrade_notes, "ships_request_numbers": list(ships_request_numbers),
        },
        instance=None,
    )  # fmt: skip
    release = Release(**clean, version_key=version_key(clean["version"]), created_by=user)
    _save(release)
    _event("catalog.release_created", release)
    return release


def _lock(release: Release) -> Release:
    return Release.objects.select_for_update(of=("self",)).select_related("capability").get(pk=release.pk)


@transaction.atomic
def release_update(*, release: Release, **data: Any) -> Release:
    """Change the given fields. Once published only title, notes and upgrade notes may change."""
    locked = _lock(release)
    if locked.is_published:
        frozen = sorted(key for key in data if key not in TEXT_FIELDS and _differs(locked, key, data[key]))
        if frozen:
            raise TransitionError(
                "A published release keeps its capability, version, kind and shipped requests; only the "
                f"title, notes and upgrade notes can be corrected (not: {', '.join(frozen)})."
            )
        data = {key: value for key, value in data.items() if key in TEXT_FIELDS}
    clean = _validate(data, instance=locked)
    changed = [key for key in FIELDS if key in clean and _differs(locked, key, clean[key])]
    for key in changed:
        setattr(locked, key, clean[key])
    if "version" in changed:
        locked.version_key = version_key(locked.version)
    if changed:
        _save(locked)
        _event("catalog.release_updated", locked, changed=changed)
    _copy_state(locked, release)
    return release


def _differs(release: Release, key: str, value: Any) -> bool:
    current = getattr(release, key)
    if key == "capability":
        return not isinstance(value, Capability) or value.pk != release.capability_id
    if key == "ships_request_numbers":
        try:
            return sorted(set(value or [])) != sorted(current)
        except TypeError:
            return True
    if isinstance(value, str) and isinstance(current, str):
        return value.strip() != current
    return value != current


def _copy_state(source: Release, target: Release) -> None:
    """Callers keep their instance: refresh it from the locked copy."""
    if source is not target:
        for field in source._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


@transaction.atomic
def release_schedule(*, release: Release, at: datetime, user: Any = None) -> Release:
    """Publish automatically at `at` (the beat task checks every minute). Rescheduling is allowed."""
    locked = _lock(release)
    if locked.is_published:
        raise TransitionError("This release is already published; it cannot be scheduled.")
    if not isinstance(at, datetime) or timezone.is_naive(at):
        raise ValidationError({"scheduled_for": "Give a date and time (with a time zone)."})
    now = timezone.now()
    if at <= now:
        raise ValidationError({"scheduled_for": "Choose a time in the future, or publish now."})
    if at > now + MAX_SCHEDULE_AHEAD:
        raise ValidationError({"scheduled_for": "At most a year ahead."})
    locked.state = ReleaseState.SCHEDULED
    locked.scheduled_for = at
    locked.save(update_fields=["state", "scheduled_for", "updated_at"])
    _event("catalog.release_scheduled", locked, scheduled_for=at.isoformat())
    _copy_state(locked, release)
    return release


@transaction.atomic
def release_unschedule(*, release: Release) -> Release:
    """Back to draft: a scheduled release that should not go out yet."""
    locked = _lock(release)
    if locked.state != ReleaseState.SCHEDULED:
        raise TransitionError(f"Only a scheduled release can go back to draft; this one is {locked.state}.")
    locked.state = ReleaseState.DRAFT
    locked.scheduled_for = None
    locked.save(update_fields=["state", "scheduled_for", "updated_at"])
    _event("catalog.release_unscheduled", locked)
    _copy_state(locked, release)
    return release


@transaction.atomic
def release_publish(*, release: Release, user: Any = None) -> Release:
    """Publish now (a draft or a scheduled release). A second call raises TransitionError: no second event."""
    locked = _lock(release)
    if locked.is_published:
        raise TransitionError(f"{locked.capability.name} {locked.version} is already published.")
    _publish_locked(locked, user=user, now=timezone.now())
    _copy_state(locked, release)
    return release


def _publish_locked(release: Release, *, user: Any, now: datetime) -> None:
    capability = release.capability
    release.state = ReleaseState.PUBLISHED
    release.published_at = now
    release.published_by = user
    release.save(update_fields=["state", "published_at", "published_by", "updated_at"])
    event_emit(
        "catalog.release_published",
        {
            "release_id": release.pk,
            "capability_id": capability.pk,
            "capability_slug": capability.slug,
            "capability_name": capability.name,
            "version": release.version,
            "title": release.title,
            "kind": release.kind,
            "url": tenant_reverse("catalog:releases:detail", release_pk=release.pk),
            "ships_request_numbers": list(release.ships_request_numbers),
            "published_by_id": getattr(user, "pk", None),
        },
    )


@transaction.atomic
def release_publish_due(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Publish the current tenant's scheduled releases whose time has come; returns their ids.

    `skip_locked`: a release a maintainer (or another beat run) is changing right now is left for the next
    run instead of blocking or being published twice; the state filter re-checked under the lock makes the
    task idempotent.
    """
    now = now or timezone.now()
    due = list(
        Release.objects.select_related("capability")
        .select_for_update(skip_locked=True, of=("self",))
        .filter(state=ReleaseState.SCHEDULED, scheduled_for__lte=now)
        .order_by("scheduled_for", "id")[:limit]
    )
    for release in due:
        _publish_locked(release, user=None, now=now)
    return [release.pk for release in due]


@transaction.atomic
def release_delete(*, release: Release) -> None:
    """Drafts and scheduled releases may be deleted; a published one is history and stays."""
    locked = _lock(release)
    if locked.is_published:
        raise TransitionError("A published release cannot be deleted; correct its notes instead.")
    _event("catalog.release_deleted", locked)
    locked.delete()


def status_summary(message: str) -> str:
    """The Markdown message as one line of plain text for the capability's `status_message` (300 chars)."""
    text = " ".join(strip_tags(render_markdown(message)).split())
    limit = CAPABILITY_STATUS_MESSAGE
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@transaction.atomic
def status_update_post(
    *,
    capability: Capability,
    message: str,
    status: str | None = None,
    resolved: bool = False,
    user: Any = None,
    submission_key: uuid.UUID | None = None,
) -> StatusUpdate:
    """Post an update about `capability` and make it its current status.

    `submission_key` (the page form's hidden token) makes the post idempotent: when an update with that key
    exists already (a double click, a resent form), it is returned and nothing is posted or announced again.
    The check runs after the capability row is locked, so the second of two simultaneous posts waits for the
    first to commit and then finds it; the unique constraint backs this up.

    - No incident open, status not operational: opens an incident (this update is its root).
    - Incident open, not resolving: a follow-up (any status, also "operational" while monitoring a fix).
    - `resolved=True`: closes the open incident; the status is operational (another status is an error).
    - No incident open, status operational: a "back to normal" notice, stored as resolved.
    The capability row is locked, so concurrent posts queue up and never open two incidents.
    """
    tenant = get_current_tenant()
    if tenant is None or capability.tenant_id != tenant.pk:
        raise ValidationError({"capability": "That capability does not exist in this tenant."})
    errors: dict[str, str] = {}
    message = (message or "").strip()
    if not message:
        errors["message"] = "Say what is happening (and what people should do)."
    elif len(message) > MAX_STATUS_MESSAGE:
        errors["message"] = f"At most {MAX_STATUS_MESSAGE} characters."
    if resolved:
        if status not in (None, "", Status.OPERATIONAL):
            errors["status"] = "Resolving sets the status back to operational; leave the status empty."
        status = Status.OPERATIONAL
    elif status not in Status.values:
        errors["status"] = f"Choose one of: {', '.join(Status.values)}."
    if errors:
        raise ValidationError(errors)
    locked = Capability.objects.select_for_update().get(pk=capability.pk)
    if submission_key is not None:
        earlier = StatusUpdate.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            if earlier.capability_id != locked.pk:
                raise ValidationError({"message": "This form was already used for another capability."})
            return earlier
    open_root = StatusUpdate.objects.filter(
        capability=locked, incident__isnull=True, resolved_at__isnull=True
    ).first()
    if open_root is None and status == Status.OPERATIONAL:
        resolved = True
    now = timezone.now()
    update = StatusUpdate.objects.create(
        capability=locked,
        status=status,
        message=message,
        resolved=resolved,
        incident=open_root,
        resolved_at=now if resolved and open_root is None else None,
        created_by=user,
        created_at=now,
        submission_key=submission_key,
    )
    if resolved and open_root is not None:
        open_root.resolved_at = now
        open_root.save(update_fields=["resolved_at"])
    capability_set_status(
        capability=locked, status=status, message="" if resolved else status_summary(message)
    )
    _copy_capability_status(locked, capability)
    event_emit(
        "catalog.status_update_posted",
        {
            "status_update_id": update.pk,
            "capability_id": locked.pk,
            "capability_slug": locked.slug,
            "capability_name": locked.name,
            "status": status,
            "message": message,
            "resolved": resolved,
            "url": tenant_reverse("catalog:releases:capability_status", slug=locked.slug),
        },
    )
    return update


def _copy_capability_status(source: Capability, target: Capability) -> None:
    if source is not target:
        for field in ("status", "status_message", "status_changed_at", "updated_at"):
            setattr(target, field, getattr(source, field))
