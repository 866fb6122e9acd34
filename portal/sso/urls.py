"""SSO URLs outside /t/ (the login flow runs before any tenant is entered) and inside the tenant admin area.

`/accounts/oidc/<tenant-slug>/login/callback/` is the redirect URI to register at the IdP (README).
"""

from django.urls import path

from portal.sso import oidc, views

flow_patterns = [
    path("sso/", views.sso_discover, name="sso_discover"),
    path("sso/cancelled/", views.login_cancelled, name="socialaccount_login_cancelled"),
    path("oidc/<str:provider_id>/login/", oidc.login, name="openid_connect_login"),
    path("oidc/<str:provider_id>/login/callback/", oidc.callback, name="openid_connect_callback"),
]

admin_patterns = [
    path("admin/sso/", views.sso_admin, name="admin_sso"),
    path("admin/sso/mappings/", views.sso_mapping_add, name="admin_sso_mappings"),
    path(
        "admin/sso/mappings/<int:ssogroupmapping_pk>/remove/",
        views.sso_mapping_remove,
        name="admin_sso_mapping_remove",
    ),
]
