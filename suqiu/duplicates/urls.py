"""Workbench pages of duplicates, under /workbench/duplicates/."""

from django.urls import path

from suqiu.duplicates import views

app_name = "duplicates"
urlpatterns: list = [
    path(
        "appeals/<int:pk>/candidates/<int:candidate_id>/dismiss",
        views.dismiss,
        name="dismiss",
    ),
    path(
        "appeals/<int:pk>/candidates/<int:candidate_id>/merge-in",
        views.merge_in,
        name="merge_in",
    ),
]
