from django.urls import path

from catalog.insights.value import views

urlpatterns = [
    path("", views.dashboard, name="value-dashboard"),
    path("value.csv", views.dashboard_csv, name="value-csv"),
    path("value/<slug:capability_slug>/", views.capability_value, name="value-capability"),
    path("value/<slug:capability_slug>/panel/", views.capability_panel, name="value-panel"),
]
