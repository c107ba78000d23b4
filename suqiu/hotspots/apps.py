"""Hotspots and common problems: periodic clustering, heat scores, proactive governance projects."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotspotsConfig(AppConfig):
    name = "suqiu.hotspots"
    label = "hotspots"
    verbose_name = _("Hotspots")
