"""Workbench endpoints of reply quality, under /workbench/replies/."""

from django.urls import path

from suqiu.replies import views

app_name = "replies"
urlpatterns = [
    path("appeals/<int:pk>/precheck", views.precheck, name="precheck"),
]
