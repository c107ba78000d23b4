"""Reply quality: each resolve's public reply checked against the appeal; warnings for the verifier."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepliesConfig(AppConfig):
    name = "suqiu.replies"
    label = "replies"
    verbose_name = _("Reply quality")
