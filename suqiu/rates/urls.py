"""Workbench pages of rates, under /workbench/rates/."""

app_name = "rates"
urlpatterns: list = []
