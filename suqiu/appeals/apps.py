from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "suqiu.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self):
        from suqiu.appeals.duties import purge_idempotency_keys
        from suqiu.core.worker import register_duty

        register_duty("appeals.purge_idempotency_keys", purge_idempotency_keys, every_seconds=3600)
