"""Release and status pages, included by `catalog.urls` before its `<slug:slug>/` catch-all.

Single words (`changelog`, `status`, `feeds`, `releases`) are reserved capability slugs
(`catalog.services.RESERVED_SLUGS`), so they never shadow a capability page.
"""

from django.urls import path

from catalog.releases import status_views, views

app_name = "releases"

urlpatterns = [
    path("changelog/", views.changelog, name="changelog"),
    path("status/", status_views.status_page, name="status"),
    path("feeds/", status_views.feed_link, name="feed_link"),
    path("releases/new/", views.release_create, name="create"),
    path("releases/<int:release_pk>/", views.release_detail, name="detail"),
    path("releases/<int:release_pk>/edit/", views.release_edit, name="edit"),
    path("releases/<int:release_pk>/publish/", views.release_publish, name="publish"),
    path("releases/<int:release_pk>/schedule/", views.release_schedule, name="schedule"),
    path("releases/<int:release_pk>/unschedule/", views.release_unschedule, name="unschedule"),
    path("releases/<int:release_pk>/delete/", views.release_delete, name="delete"),
    path("<slug:slug>/changelog/", views.capability_changelog, name="capability_changelog"),
    path("<slug:slug>/status/", status_views.capability_status, name="capability_status"),
]
