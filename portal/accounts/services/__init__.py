"""Writes for accounts: memberships, teams, team members, invitations, API tokens and the audit log.

One transaction per use case. Administrative services take `actor` (the acting Membership, or None for the
system), check its rights themselves (PermissionDenied) and audit the change in the same transaction.
"""

from portal.accounts.services.audit import audit_record
from portal.accounts.services.invitations import (
    INVITATION_MAX_AGE,
    INVITATION_SALT,
    InvitationInvalid,
    invitation_accept,
    invitation_accept_new_user,
    invitation_create,
    invitation_resolve,
    invitation_revoke,
    invitation_token,
    invitation_url,
)
from portal.accounts.services.memberships import (
    LAST_ADMIN,
    membership_add,
    membership_remove,
    membership_set,
    membership_set_role,
    user_lookup,
)
from portal.accounts.services.rights import may_manage_team, require_admin, require_team_manager
from portal.accounts.services.teams import (
    team_archive,
    team_create,
    team_member_remove,
    team_member_set,
    team_update,
)
from portal.accounts.services.tokens import IssuedToken, api_token_create, api_token_revoke, api_token_touch

__all__ = [
    "INVITATION_MAX_AGE",
    "INVITATION_SALT",
    "LAST_ADMIN",
    "InvitationInvalid",
    "IssuedToken",
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "audit_record",
    "invitation_accept",
    "invitation_accept_new_user",
    "invitation_create",
    "invitation_resolve",
    "invitation_revoke",
    "invitation_token",
    "invitation_url",
    "may_manage_team",
    "membership_add",
    "membership_remove",
    "membership_set",
    "membership_set_role",
    "require_admin",
    "require_team_manager",
    "team_archive",
    "team_create",
    "team_member_remove",
    "team_member_set",
    "team_update",
    "user_lookup",
]
