"""The staff workbench at /workbench/."""

from django.urls import path

from suqiu.appeals import views_workbench as views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("dispatch/bulk", views.bulk_dispatch, name="bulk_dispatch"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/claim", views.task_claim, name="task_claim"),
    path("people", views.people_options, name="people_options"),
    path("appeals/<int:pk>", views.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/act/<str:action>", views.appeal_action, name="act"),
    path("appeals/<int:pk>/route", views.appeal_route, name="route"),
    path("appeals/<int:pk>/reveal-phone", views.reveal_phone, name="reveal_phone"),
    path("appeals/<int:pk>/photos/<int:photo_id>", views.photo, name="photo"),
]
