"""Pages under `/t/<tenant>/catalog/import/` (included by catalog/urls.py before `<slug:slug>/`; the slugs
"import" and "export" are reserved for capabilities, see catalog.services.RESERVED_SLUGS)."""

from django.urls import path

from catalog.backstage import views

urlpatterns = [
    path("", views.backstage_import, name="backstage_import"),
    path("export/", views.backstage_export, name="backstage_export"),
]
