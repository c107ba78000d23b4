"""Finding the same problem reported again: a sub-linear index, candidates, automatic merge of exact repeats."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuplicatesConfig(AppConfig):
    name = "suqiu.duplicates"
    label = "duplicates"
    verbose_name = _("Duplicates")

    def ready(self):
        from suqiu.appeals.extensions import Panel, register_panel
        from suqiu.appeals.services import (
            register_after_action,
            register_after_create,
            register_after_import,
        )
        from suqiu.appeals.workflow import Action
        from suqiu.core.worker import register_duty
        from suqiu.duplicates import services, views

        # Order 10: before urgency, routing and notifications (an exact repeat is merged away).
        register_after_create(services.on_appeal_created, order=10)
        for action in (Action.MERGE, Action.REJECT, Action.REVISIT):
            register_after_action(action, services.on_appeal_finished)
        # Imported history closed within the window is indexed too (in bulk, per batch).
        register_after_import(services.on_history_imported)
        register_duty("duplicates.prune", services.prune, every_seconds=600)
        register_panel(
            Panel(
                "duplicates",
                "duplicates/_panel.html",
                views.panel_context,
                slot="main",
                order=20,
            )
        )
