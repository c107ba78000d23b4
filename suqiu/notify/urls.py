"""Workbench pages of notify, under /workbench/notify/."""

from django.urls import path

from suqiu.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all", views.mark_all_read, name="read_all"),
    path("<int:item_id>/read", views.mark_read, name="read"),
    path("failures", views.failures, name="failures"),
    path("failures/<int:message_id>/retry", views.retry, name="retry"),
]
