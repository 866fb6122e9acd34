from django.urls import include, path

from catalog import views

# Fixed words come before `<slug:slug>/`; services refuse them as slugs (see services.RESERVED_SLUGS).
urlpatterns = [
    path("", views.capability_list, name="list"),
    path("mine/", views.capability_mine, name="mine"),
    path("new/", views.capability_create, name="create"),
    path("import/", include("catalog.backstage.urls")),  # Backstage import/export (tenant admins)
    path("", include("catalog.releases.urls")),  # changelog/, status/, feeds/, releases/, <slug>/changelog/
    path("<slug:slug>/", views.capability_detail, name="detail"),
    path("<slug:slug>/edit/", views.capability_edit, name="edit"),
    path("<slug:slug>/archive/", views.capability_archive, name="archive"),
    path("<slug:slug>/transfer/", views.capability_transfer, name="transfer"),
]
