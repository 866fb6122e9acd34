"""Survey pages, mounted at /t/<tenant>/insights/ (namespace `insights`; names prefixed `surveys-`).

Kwargs follow the isolation matrix's naming convention (`capability_slug`, `surveyround_pk`), so it finds
real values for them in the demo rows of both tenants.
"""

from django.urls import path

from catalog.insights.surveys import views

urlpatterns = [
    path("surveys/<slug:capability_slug>/", views.survey_list, name="surveys-list"),
    path("surveys/<slug:capability_slug>/open/", views.survey_open, name="surveys-open"),
    path("surveys/<slug:capability_slug>/<int:surveyround_pk>/", views.survey_detail, name="surveys-detail"),
    path(
        "surveys/<slug:capability_slug>/<int:surveyround_pk>/answer/",
        views.survey_answer,
        name="surveys-answer",
    ),
    path(
        "surveys/<slug:capability_slug>/<int:surveyround_pk>/close/", views.survey_close, name="surveys-close"
    ),
    path(
        "surveys/<slug:capability_slug>/<int:surveyround_pk>/remind/",
        views.survey_remind,
        name="surveys-remind",
    ),
]
