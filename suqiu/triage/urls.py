"""Workbench pages of triage, under /workbench/triage/."""

app_name = "triage"
urlpatterns: list = []
