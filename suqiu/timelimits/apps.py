"""Time limits: policies, the working-time calendar, due times, reminders, escalation (督办)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How often the worker sweeps for due rows (each sweep handles one batch per duty and runs
# again at once while there is more).
SWEEP_SECONDS = 15


class TimelimitsConfig(AppConfig):
    name = "suqiu.timelimits"
    label = "timelimits"
    verbose_name = _("Time limits")

    def ready(self):
        from suqiu.core.worker import register_duty
        from suqiu.timelimits.duties import DUTIES

        for name, duty in DUTIES.items():
            register_duty(name, duty, every_seconds=SWEEP_SECONDS)
