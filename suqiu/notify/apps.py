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
        register_duty("notify.prune", services.prune, every_seconds=3600)

        from suqiu.appeals import services as appeals
        from suqiu.notify import alerts, reporter

        # After triage (urgency 20, routing 30): an emergency or urgent appeal alerts its staff.
        appeals.register_after_create(alerts.on_created, order=40)
        appeals.register_after_create(reporter.on_created, order=90)
        appeals.register_after_action("accept", reporter.on_accepted)
        appeals.register_after_action("resolve", reporter.on_resolved)
        appeals.register_after_action("verify", reporter.on_verified)
        appeals.register_after_action("merge", reporter.on_merged)

        from suqiu.appeals.extensions import NavItem, register_nav
        from suqiu.notify import selectors

        register_nav(
            NavItem(
                "notify",
                _("Messages"),
                "notify:inbox",
                badge=lambda request: selectors.unread_count(request.user.pk),
                order=80,
            )
        )
        register_nav(
            NavItem(
                "notify_failures",
                _("Failed notifications"),
                "notify:failures",
                visible=selectors.may_see_failures,
                badge=lambda request: selectors.failures().count(),
                order=81,
            )
        )
