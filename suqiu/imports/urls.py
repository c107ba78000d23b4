"""Workbench pages of imports, under /workbench/imports/."""

app_name = "imports"
urlpatterns: list = []
