"""Notifications: an outbox written in the causing transaction, transports behind a registry, the in-app inbox."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "suqiu.notify"
    label = "notify"
    verbose_name = _("Notifications")
