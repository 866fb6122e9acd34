"""The public API of the Agora core: the one module a plugin imports.

Built-in features (catalog, requests) use exactly this surface, like any third-party package would.
Anything not re-exported here is internal and may change without notice.
"""

from portal.accounts.api.serializers import SlugRelatedField
from portal.accounts.models import Team, TeamMembership, TeamRole
from portal.accounts.permissions import (
    IsTenantAdmin,
    IsTenantMember,
    can_maintain,
    can_write,
    is_tenant_admin,
    maintained_team_ids,
    membership_of,
)
from portal.accounts.services.audit import audit_record
from portal.events.models import Event
from portal.events.services import event_emit
from portal.notifications.crypto import decrypt as decrypt_secret
from portal.notifications.crypto import encrypt as encrypt_secret
from portal.notifications.engine.publish import notification_publish
from portal.notifications.follow import render_follow_button
from portal.notifications.selectors import followed_topic_ids, topic_follower_ids
from portal.notifications.services.subscriptions import subscriptions_copy, subscriptions_ensure
from portal.notifications.topics import notification_topic_register
from portal.plugins.base import (
    AgoraPlugin,
    ApiRoute,
    CapabilityPanel,
    HomePanel,
    NavItem,
    NotificationChannel,
    SettingSpec,
)
from portal.plugins.operations import RunSQLOnPostgres
from portal.plugins.registry import capability_panels, plugins, reference_errors
from portal.tenancy.admin import TenantScopedAdmin
from portal.tenancy.context import get_current_tenant, require_current_tenant, tenant_context
from portal.tenancy.models import Membership, Role, Tenant, TenantOwnedModel
from portal.ui.forms import ServiceErrorsMixin
from portal.ui.markdown import render_markdown, sanitize_html
from portal.ui.paging import ListWindow, list_window
from portal.ui.panels import render_capability_panels
from portal.ui.responses import redirect_after_write
from portal.ui.urls import tenant_reverse

__all__ = [
    "AgoraPlugin",
    "ApiRoute",
    "CapabilityPanel",
    "Event",
    "HomePanel",
    "IsTenantAdmin",
    "IsTenantMember",
    "ListWindow",
    "Membership",
    "NavItem",
    "NotificationChannel",
    "Role",
    "RunSQLOnPostgres",
    "ServiceErrorsMixin",
    "SettingSpec",
    "SlugRelatedField",
    "Team",
    "TeamMembership",
    "TeamRole",
    "Tenant",
    "TenantOwnedModel",
    "TenantScopedAdmin",
    "audit_record",
    "can_maintain",
    "can_write",
    "capability_panels",
    "decrypt_secret",
    "encrypt_secret",
    "event_emit",
    "followed_topic_ids",
    "get_current_tenant",
    "is_tenant_admin",
    "list_window",
    "maintained_team_ids",
    "membership_of",
    "notification_publish",
    "notification_topic_register",
    "plugins",
    "redirect_after_write",
    "reference_errors",
    "render_capability_panels",
    "render_follow_button",
    "render_markdown",
    "require_current_tenant",
    "sanitize_html",
    "subscriptions_copy",
    "subscriptions_ensure",
    "tenant_context",
    "tenant_reverse",
    "topic_follower_ids",
]
