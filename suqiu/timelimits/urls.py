"""Workbench pages of timelimits, under /workbench/timelimits/."""

app_name = "timelimits"
urlpatterns: list = []
