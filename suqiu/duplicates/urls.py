"""Workbench pages of duplicates, under /workbench/duplicates/."""

app_name = "duplicates"
urlpatterns: list = []
