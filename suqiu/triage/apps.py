"""Routing, urgency and reply quality: models learnt from the deployment's own history."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "suqiu.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self):
        from suqiu.appeals.extensions import (
            NavItem,
            Panel,
            register_nav,
            register_note,
            register_panel,
        )
        from suqiu.appeals.services import register_after_action, register_after_create
        from suqiu.appeals.workflow import Action
        from suqiu.triage import selectors, services, views

        # Intake (see suqiu/triage/services.py): urgency first, then routing and auto-dispatch.
        register_after_create(services.detect_urgency, order=20)
        register_after_create(services.route, order=30)
        # A person choosing otherwise than the top suggestion leaves a Correction row.
        register_after_action(Action.ASSESS, services.record_assess)
        register_after_action(Action.DISPATCH, services.record_dispatch)
        register_panel(
            Panel("triage", "triage/_panel.html", views.triage_panel, slot="side", order=10)
        )
        register_note("triage", views.note_reason)
        register_nav(
            NavItem(
                "triage",
                _("Triage"),
                "triage:report",
                visible=selectors.may_see_report,
                order=50,
                section="triage",
            )
        )
