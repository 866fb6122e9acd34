from django.urls import path

from portal.sso.api import views

urlpatterns = [
    path("", views.SsoProviderView.as_view(), name="sso-provider"),
    path("mappings/", views.SsoMappingListView.as_view(), name="sso-mapping-list"),
    path(
        "mappings/<int:ssogroupmapping_pk>/", views.SsoMappingDetailView.as_view(), name="sso-mapping-detail"
    ),
]
