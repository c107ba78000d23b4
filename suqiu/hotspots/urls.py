"""Workbench pages of hotspots, under /workbench/hotspots/."""

from django.urls import path

from suqiu.hotspots import views

app_name = "hotspots"
urlpatterns = [
    path("", views.hotspot_list, name="list"),
    path("<int:pk>", views.hotspot_detail, name="detail"),
    path("<int:pk>/promote", views.hotspot_promote, name="promote"),
    path("common/<int:pk>", views.common_problem, name="common"),
    path("people", views.people_options, name="people"),
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>", views.project_detail, name="project"),
    path("projects/<int:pk>/close", views.project_close, name="project_close"),
]
