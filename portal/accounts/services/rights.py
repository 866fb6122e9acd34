"""Who may change what, checked by the services themselves so pages, API and commands agree.

`actor` is the acting Membership, or None for the system (seeding, management commands, tests' factories),
which is allowed everything. A refusal raises PermissionDenied: views answer it with 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from portal.accounts.models import Team, TeamMembership, TeamRole
from portal.tenancy.models import Membership, Role


def require_admin(actor: Membership | None) -> None:
    if actor is not None and actor.role != Role.ADMIN:
        raise PermissionDenied("Only tenant admins can do this.")


def may_manage_team(actor: Membership | None, team: Team) -> bool:
    """Tenant admins manage every team; a maintainer manages the members of their own team only."""
    if actor is None or actor.role == Role.ADMIN:
        return True
    return TeamMembership.objects.filter(team=team, user_id=actor.user_id, role=TeamRole.MAINTAINER).exists()


def require_team_manager(actor: Membership | None, team: Team) -> None:
    if not may_manage_team(actor, team):
        raise PermissionDenied("Only tenant admins and this team's maintainers can change its members.")
