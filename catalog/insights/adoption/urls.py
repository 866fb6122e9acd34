"""Adoption pages, mounted by the insights plugin at /t/<tenant>/insights/ (namespace `insights`)."""

from django.urls import path

from catalog.insights.adoption import views

urlpatterns = [
    path("adoption/<slug:capability_slug>/", views.adoption_detail, name="adoption-detail"),
    path("adoption/<slug:capability_slug>/move/", views.adoption_move, name="adoption-move"),
    path("adoption/<slug:capability_slug>/rule/", views.adoption_rule, name="adoption-rule"),
]
