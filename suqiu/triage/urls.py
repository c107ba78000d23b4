"""Workbench pages of triage, under /workbench/triage/."""

from django.urls import path

from suqiu.triage import views

app_name = "triage"
urlpatterns = [
    path("", views.report, name="report"),
    path("appeals", views.report_appeals, name="report_appeals"),
]
