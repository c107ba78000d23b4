"""Finding the same problem reported again: a sub-linear index, candidates, automatic merge of exact repeats."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuplicatesConfig(AppConfig):
    name = "suqiu.duplicates"
    label = "duplicates"
    verbose_name = _("Duplicates")
