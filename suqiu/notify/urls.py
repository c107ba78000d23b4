"""Workbench pages of notify, under /workbench/notify/."""

app_name = "notify"
urlpatterns: list = []
