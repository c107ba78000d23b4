from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "suqiu.open311"
    label = "open311"
    verbose_name = _("Open311 GeoReport v2")

    def ready(self):
        # Federation (see suqiu/open311/federation.py): the outbox row is written in the dispatch
        # transaction; the worker pushes and polls.
        from suqiu.appeals.extensions import Panel, register_note, register_panel
        from suqiu.appeals.services import register_after_action
        from suqiu.appeals.workflow import Action
        from suqiu.core.worker import register_duty
        from suqiu.open311 import federation, notes

        register_after_action(Action.DISPATCH, federation.on_dispatch)
        register_duty("open311.push", federation.push_due, every_seconds=5)
        register_duty("open311.poll", federation.poll_due, every_seconds=30)
        register_panel(
            Panel("open311", "workbench/_federation.html", _federation_panel, slot="facts")
        )
        # Its notes on the timeline, worded when read (suqiu/open311/notes.py).
        register_note(federation.SOURCE, notes.reason)


def _federation_panel(request, appeal):
    """Sent upstream? The upstream id, the last error, the next retry."""
    from suqiu.open311.federation import federation_of

    federation = federation_of(appeal)
    return {"federation": federation} if federation else None
