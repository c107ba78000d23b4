"""Resident pages: report, track by code, rate, and one's own appeals (see views_resident)."""

from django.urls import path

from suqiu.appeals import views_resident as views

app_name = "resident"
urlpatterns = [
    path("", views.home, name="home"),
    path("report", views.report, name="report"),
    path("submitted/<str:code>", views.submitted, name="submitted"),
    path("track", views.track, name="track"),
    path("track/<str:code>", views.track_detail, name="track_detail"),
    path("track/<str:code>/revisit", views.revisit, name="revisit"),
    path("mine/<int:appeal_id>", views.mine, name="mine"),
    path("mine/<int:appeal_id>/photos/<int:photo_id>", views.mine_photo, name="mine_photo"),
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
]
