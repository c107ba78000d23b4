"""Notifications: an outbox written in the causing transaction, transports behind a registry, the in-app inbox."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "suqiu.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from suqiu.core.worker import register_duty
        from suqiu.notify import services
        from suqiu.notify.transports import email, inapp, register_transport, sms, webhook

        register_transport("inapp", inapp.send, send_many=inapp.send_many)
        register_transport("email", email.send, enabled=email.enabled)
        register_transport("sms", sms.send, enabled=sms.enabled)
        register_transport("webhook", webhook.send, enabled=webhook.enabled)
        register_duty("notify.send", services.send_due, every_seconds=5)
