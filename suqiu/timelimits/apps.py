"""Time limits: policies, the working-time calendar, due times, reminders, escalation (督办)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelimitsConfig(AppConfig):
    name = "suqiu.timelimits"
    label = "timelimits"
    verbose_name = _("Time limits")
