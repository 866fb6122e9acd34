"""Cookie-less feed URLs (the plugin's `public_urlpatterns`): the token in the path is the credential."""

from django.urls import path

from catalog.releases import feeds

urlpatterns = [
    path("feeds/<str:token>/", feeds.tenant_feed, name="tenant_feed"),
    path("feeds/<str:token>/<slug:slug>/", feeds.capability_feed, name="capability_feed"),
]
