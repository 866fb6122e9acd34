"""Teams and their members. One transaction per use case; every change is audited.

Slugs are stable: renaming a team changes its name only, so links, API clients and chat routes that name
the slug keep working (no redirect table to maintain). Archived teams keep their memberships and history
but take no new members; a plugin may refuse the archive while the team still owns something
(`AgoraPlugin.team_archive_blockers`), e.g. active capabilities that must be transferred first.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from portal.accounts.models import Team, TeamMembership, TeamRole
from portal.accounts.services.audit import audit_record
from portal.accounts.services.rights import require_admin, require_team_manager
from portal.plugins.registry import team_archive_blockers
from portal.tenancy.models import Membership

NAME_MAX = 200


def team_state(team: Team) -> dict[str, Any]:
    return {
        "slug": team.slug,
        "name": team.name,
        "description": team.description,
        "chat_channel": team.chat_channel,
        "archived": team.archived_at is not None,
    }


def _clean_text(value: str, field: str, *, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({field: "Must not contain NUL characters."})
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    return value


@transaction.atomic
def team_create(
    *,
    name: str,
    slug: str = "",
    description: str = "",
    chat_channel: str = "",
    actor: Membership | None = None,
) -> Team:
    """Create a team in the current tenant (tenant admins). The slug defaults to the slugified name."""
    require_admin(actor)
    name = _clean_text(name, "name", max_length=NAME_MAX, required=True)
    slug = (slug or "").strip() or slugify(name)[:63]
    if not slug or slugify(slug) != slug or len(slug) > 63:
        raise ValidationError({"slug": "Use lower-case letters, digits and hyphens (at most 63)."})
    if Team.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A team with the slug '{slug}' already exists."})
    team = Team(
        name=name,
        slug=slug,
        description=_clean_text(description, "description", max_length=5000),
        chat_channel=_clean_text(chat_channel, "chat_channel", max_length=200),
    )
    try:
        with transaction.atomic():  # a concurrent create with the same slug loses cleanly
            team.save()
    except IntegrityError:
        raise ValidationError({"slug": f"A team with the slug '{slug}' already exists."}) from None
    audit_record(actor=actor, action="team.create", target=team, after=team_state(team))
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: Membership | None,
    name: str | None = None,
    description: str | None = None,
    chat_channel: str | None = None,
) -> Team:
    """Rename a team (and/or change its description and chat channel). The slug never changes."""
    require_admin(actor)
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = team_state(team)
    if name is not None:
        team.name = _clean_text(name, "name", max_length=NAME_MAX, required=True)
    if description is not None:
        team.description = _clean_text(description, "description", max_length=5000)
    if chat_channel is not None:
        team.chat_channel = _clean_text(chat_channel, "chat_channel", max_length=200)
    after = team_state(team)
    if after != before:
        team.save(update_fields=["name", "description", "chat_channel"])
        audit_record(actor=actor, action="team.update", target=team, before=before, after=after)
    return team


@transaction.atomic
def team_archive(*, team: Team, actor: Membership | None, archived: bool = True) -> Team:
    """Archive (or restore) a team. Refused, naming the reasons, while a plugin says the team still owns
    something active; nothing changes then."""
    require_admin(actor)
    team = Team.objects.select_for_update().get(pk=team.pk)
    if (team.archived_at is not None) == archived:
        return team
    if archived:
        blockers = team_archive_blockers(team)
        if blockers:
            raise ValidationError(blockers)
    before = team_state(team)
    team.archived_at = timezone.now() if archived else None
    team.save(update_fields=["archived_at"])
    action = "team.archive" if archived else "team.restore"
    audit_record(actor=actor, action=action, target=team, before=before, after=team_state(team))
    return team


def _membership_label(tm: TeamMembership) -> str:
    return f"{tm.user.get_username()} in {tm.team.slug}"


@transaction.atomic
def team_member_set(
    *, team: Team, user: Any, role: str = TeamRole.MEMBER, actor: Membership | None = None
) -> TeamMembership:
    """Make `user` a member or maintainer of `team` (tenant admins, or the team's maintainers). The user must
    already belong to the tenant; an archived team takes no new members."""
    require_team_manager(actor, team)
    if role not in TeamRole.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(TeamRole.values)}."})
    if not Membership.objects.filter(user=user).exists():
        raise ValidationError({"user": f"{user.get_username()} is not a member of this tenant."})
    existing = TeamMembership.objects.select_for_update().filter(team=team, user=user).first()
    if existing is None and team.archived_at is not None:
        raise ValidationError({"team": "This team is archived: it takes no new members."})
    before = {"role": existing.role} if existing else None
    if existing is not None and existing.role == role:
        return existing
    if existing is None:
        tm = TeamMembership.objects.create(team=team, user=user, role=role)
        action = "team_member.add"
    else:
        tm = existing
        tm.role = role
        tm.save(update_fields=["role"])
        action = "team_member.role"
    audit_record(
        actor=actor, action=action, target=tm, target_label=_membership_label(tm), before=before,
        after={"role": role},
    )  # fmt: skip
    return tm


@transaction.atomic
def team_member_remove(*, team_membership: TeamMembership, actor: Membership | None) -> None:
    """Take a user out of a team (tenant admins, or the team's maintainers)."""
    require_team_manager(actor, team_membership.team)
    label = _membership_label(team_membership)
    before = {"role": team_membership.role}
    audit_record(
        actor=actor, action="team_member.remove", target=team_membership, target_label=label, before=before
    )
    team_membership.delete()
