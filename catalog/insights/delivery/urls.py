"""Delivery pages under /t/<tenant>/insights/ (namespace `insights`) and the public ingest URL."""

from django.urls import path

from catalog.insights.delivery import views, webhook

urlpatterns = [
    path("delivery/sources/", views.source_list, name="delivery-sources"),
    path("delivery/sources/<int:ingest_source_pk>/", views.source_detail, name="delivery-source"),
    path(
        "delivery/sources/<int:ingest_source_pk>/rotate/", views.source_rotate, name="delivery-source-rotate"
    ),
    path("delivery/repositories/", views.repository_list, name="delivery-repositories"),
    path("delivery/repositories/import/", views.repository_import, name="delivery-repositories-import"),
    path(
        "delivery/repositories/<int:repo_mapping_pk>/delete/",
        views.repository_delete,
        name="delivery-repository-delete",
    ),
]

# Mounted at /pub/insights/ (namespace `insights_public`): no login, the signature is the credential.
public_urlpatterns = [
    path("ingest/<slug:tenant>/<str:key>/", webhook.ingest, name="delivery-ingest"),
]
