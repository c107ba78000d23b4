"""Routing, urgency and reply quality: models learnt from the deployment's own history."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "suqiu.triage"
    label = "triage"
    verbose_name = _("Triage")
