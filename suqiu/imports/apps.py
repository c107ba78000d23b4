"""Import of appeal history from CSV and XLSX exports (``suqiu import appeals``)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "suqiu.imports"
    label = "imports"
    verbose_name = _("Import of history")
