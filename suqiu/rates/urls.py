"""Workbench pages of rates, under /workbench/rates/."""

from django.urls import path

from suqiu.rates import views

app_name = "rates"
urlpatterns = [
    path("", views.page, name="page"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export-csv"),
    path("export.xlsx", views.export, {"fmt": "xlsx"}, name="export-xlsx"),
]
