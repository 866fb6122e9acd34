from django.urls import path

from catalog import views

urlpatterns = [
    path("", views.capability_list, name="list"),
    path("<slug:slug>/", views.capability_detail, name="detail"),
]
