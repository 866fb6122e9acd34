"""Pages under /t/<tenant>/notifications/ (namespace `notifications`)."""

from django.urls import path

from portal.notifications import views, views_endpoints

app_name = "notifications"

urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("follow/", views.follow, name="follow"),
    path("subscriptions/<int:pk>/", views.subscription_edit, name="subscription_edit"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("bell/", views.bell, name="bell"),
    path("endpoints/", views_endpoints.endpoint_list, name="endpoints"),
    path("endpoints/<int:pk>/", views_endpoints.endpoint_detail, name="endpoint_detail"),
    path("endpoints/<int:pk>/routes/", views_endpoints.route_add, name="route_add"),
    path("routes/<int:pk>/delete/", views_endpoints.route_delete, name="route_delete"),
]
