"""URLs: core pages, the API, admin, and every plugin's pages mounted under /t/<tenant>/<prefix>/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from portal.accounts import views as account_views
from portal.api_router import build_router
from portal.notifications import views_public as notification_public_views
from portal.plugins.registry import iter_plugins
from portal.ui import views as ui_views

tenant_patterns = [
    path("", ui_views.tenant_home, name="tenant_home"),
    path("teams/", account_views.team_list, name="team_list"),
    path("teams/<slug:slug>/", account_views.team_detail, name="team_detail"),
    path("tokens/", account_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", account_views.token_revoke, name="token_revoke"),
    path("notifications/", include("portal.notifications.urls")),
]
for plugin in iter_plugins():
    patterns = list(plugin.urlpatterns())
    if plugin.url_prefix and patterns:
        tenant_patterns.append(path(f"{plugin.url_prefix}/", include((patterns, plugin.name))))

urlpatterns = [
    path("", ui_views.landing, name="home"),
    path("healthz", ui_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(build_router().urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("t/<slug:tenant_slug>/", include(tenant_patterns)),
    # One-click unsubscribe (RFC 8058): cookie-less, so outside /t/; the signed token names the tenant.
    path("u/<str:token>/", notification_public_views.unsubscribe, name="notifications_unsubscribe"),
]
# Cookie-less pages a plugin authenticates itself, e.g. Atom feeds behind a private token (feed readers cannot
# log in): an optional `public_urlpatterns()` hook, mounted at /pub/<prefix>/. The middleware scopes nothing
# there; the plugin's view checks its token and enters the tenant the token names.
for plugin in iter_plugins():
    public_patterns = list(plugin.public_urlpatterns())
    if plugin.url_prefix and public_patterns:
        mounted = include((public_patterns, f"{plugin.name}_public"))
        urlpatterns.append(path(f"pub/{plugin.url_prefix}/", mounted))
