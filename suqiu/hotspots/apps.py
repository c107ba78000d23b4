"""Hotspots and common problems: periodic clustering, heat scores, proactive governance projects."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotspotsConfig(AppConfig):
    name = "suqiu.hotspots"
    label = "hotspots"
    verbose_name = _("Hotspots")

    def ready(self):
        from suqiu.appeals.extensions import (
            NavItem,
            Panel,
            register_nav,
            register_note,
            register_panel,
        )
        from suqiu.core.worker import register_duty
        from suqiu.hotspots import services, views

        # The duty checks often; the run itself is due every SUQIU_HOTSPOTS_EVERY_SECONDS (an
        # hour), claimed with compare-and-set so one worker of several runs it.
        register_duty("hotspots.refresh", services.run_due, every_seconds=60)
        register_nav(
            NavItem(
                "hotspots",
                _("Hotspots"),
                "hotspots:list",
                visible=services.may_use_hotspots,
                order=40,
                section="hotspots",
            )
        )
        register_panel(Panel("hotspots", "hotspots/_panel.html", _panel, slot="facts", order=60))
        # A project's note on its appeals: from a hotspot, or from one case's common problem.
        register_note("hotspots", views.note_reason)
        register_note("common_problem", views.note_reason)
        # After the duplicates (order 20): the same problem elsewhere in the street.
        register_panel(
            Panel(
                "elsewhere",
                "hotspots/_elsewhere.html",
                views.elsewhere_panel,
                slot="main",
                order=25,
            )
        )


def _panel(request, appeal):
    """The governance projects that take this appeal in, and its current hotspots."""
    from suqiu.hotspots import selectors

    actor = request.actor
    projects = selectors.projects_of_appeal(actor=actor, appeal=appeal)
    hotspots = selectors.hotspots_of_appeal(actor=actor, appeal=appeal)
    if not projects and not hotspots:
        return None
    return {"projects": projects, "hotspots": hotspots}
