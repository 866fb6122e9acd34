"""URLs: core pages, the API, admin, and every plugin's pages mounted under /t/<tenant>/<prefix>/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from portal.accounts import views as account_views
from portal.accounts import views_admin as admin_views
from portal.accounts import views_invite as invite_views
from portal.api_docs import RedocDocsView, SwaggerDocsView
from portal.api_router import build_router
from portal.notifications import views_public as notification_public_views
from portal.ops import metrics as ops_metrics
from portal.ops import probes as ops_probes
from portal.plugins.registry import iter_plugins
from portal.sso import urls as sso_urls
from portal.sso import views as sso_views
from portal.sso.forms import SsoAwareAuthenticationForm
from portal.ui import views as ui_views

tenant_patterns = [
    path("", ui_views.tenant_home, name="tenant_home"),
    path("teams/", account_views.team_list, name="team_list"),
    path("teams/<slug:slug>/", account_views.team_detail, name="team_detail"),
    path("tokens/", account_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", account_views.token_revoke, name="token_revoke"),
    path("notifications/", include("portal.notifications.urls")),
    # Tenant administration (tenant admins; a team's maintainers manage its members).
    path("admin/", admin_views.team_list, name="admin_teams"),
    path("admin/teams/<slug:slug>/", admin_views.team_detail, name="admin_team"),
    path("admin/teams/<slug:slug>/archive/", admin_views.team_archive, name="admin_team_archive"),
    path("admin/teams/<slug:slug>/members/", admin_views.team_member_add, name="admin_team_members"),
    path(
        "admin/teams/<slug:slug>/members/<int:teammembership_pk>/",
        admin_views.team_member_change,
        name="admin_team_member",
    ),
    path("admin/members/", admin_views.member_list, name="admin_members"),
    path("admin/members/<int:membership_pk>/", admin_views.member_change, name="admin_member"),
    path("admin/invitations/", admin_views.invitation_list, name="admin_invitations"),
    path(
        "admin/invitations/<int:invitation_pk>/revoke/",
        admin_views.invitation_revoke,
        name="admin_invitation_revoke",
    ),
    path("admin/audit/", admin_views.audit_list, name="admin_audit"),
    *sso_urls.admin_patterns,
]
for plugin in iter_plugins():
    patterns = list(plugin.urlpatterns())
    if plugin.url_prefix and patterns:
        tenant_patterns.append(path(f"{plugin.url_prefix}/", include((patterns, plugin.name))))

urlpatterns = [
    path("", ui_views.landing, name="home"),
    # Operations (portal/ops): no login, no tenant; /metrics is off unless METRICS_TOKEN or networks are set.
    path("healthz", ops_probes.healthz, name="healthz"),
    path("readyz", ops_probes.readyz, name="readyz"),
    path("metrics", ops_metrics.metrics_view, name="metrics"),
    path(
        "accounts/login/",
        sso_views.allow_sso_form_action(
            auth_views.LoginView.as_view(authentication_form=SsoAwareAuthenticationForm)
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on: "work email" step and allauth's OpenID Connect flow (/accounts/oidc/<tenant>/login/...).
    path("accounts/", include(sso_urls.flow_patterns)),
    path("admin/", admin.site.urls),
    path("api/v1/sso/", include("portal.sso.api.urls")),
    path("api/v1/", include(build_router().urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocDocsView.as_view(url_name="schema"), name="redoc"),
    path("t/<slug:tenant_slug>/", include(tenant_patterns)),
    # One-click unsubscribe (RFC 8058): cookie-less, so outside /t/; the signed token names the tenant.
    path("u/<str:token>/", notification_public_views.unsubscribe, name="notifications_unsubscribe"),
    # Invitations: the invitee is no member of the tenant yet; the signed token names it.
    path("invite/<str:token>/", invite_views.invitation_accept, name="invitation_accept"),
]
# Cookie-less pages a plugin authenticates itself, e.g. Atom feeds behind a private token (feed readers cannot
# log in): an optional `public_urlpatterns()` hook, mounted at /pub/<prefix>/. The middleware scopes nothing
# there; the plugin's view checks its token and enters the tenant the token names.
for plugin in iter_plugins():
    public_patterns = list(plugin.public_urlpatterns())
    if plugin.url_prefix and public_patterns:
        mounted = include((public_patterns, f"{plugin.name}_public"))
        urlpatterns.append(path(f"pub/{plugin.url_prefix}/", mounted))
