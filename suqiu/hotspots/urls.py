"""Workbench pages of hotspots, under /workbench/hotspots/."""

app_name = "hotspots"
urlpatterns: list = []
