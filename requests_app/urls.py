"""Pages of the board, mounted at /t/<tenant>/requests/ (namespace `requests_app`)."""

from django.urls import path

from requests_app import views

urlpatterns = [
    path("", views.request_list, name="list"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("new/", views.request_create, name="create"),
    path("similar/", views.similar, name="similar"),
    path("<int:number>/", views.request_detail, name="detail"),
    path("<int:number>/edit/", views.request_edit, name="edit"),
    path("<int:number>/vote/", views.vote, name="vote"),
    path("<int:number>/votes/record/", views.vote_record, name="vote_record"),
    path("<int:number>/status/", views.status_change, name="status"),
    path("<int:number>/merge/", views.merge, name="merge"),
    path("<int:number>/merge/targets/", views.merge_targets, name="merge_targets"),
    path("<int:number>/votes/colleagues/", views.colleagues, name="colleagues"),
    path("<int:number>/comments/", views.comment_create, name="comment_create"),
    path("<int:number>/comments/<int:comment_pk>/edit/", views.comment_edit, name="comment_edit"),
    path("<int:number>/comments/<int:comment_pk>/delete/", views.comment_delete, name="comment_delete"),
]
