"""The three rates (response, resolution, satisfaction) and on-time performance."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatesConfig(AppConfig):
    name = "suqiu.rates"
    label = "rates"
    verbose_name = _("Rates")
