"""Reply quality: each resolve's public reply checked against the appeal; warnings for the verifier."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepliesConfig(AppConfig):
    name = "suqiu.replies"
    label = "replies"
    verbose_name = _("Reply quality")

    def ready(self):
        from suqiu.appeals.extensions import Panel, register_panel
        from suqiu.appeals.services import register_after_action
        from suqiu.appeals.workflow import Action
        from suqiu.replies import services

        register_after_action(Action.RESOLVE, services.on_resolve)
        register_panel(Panel("replies", "replies/_panel.html", _panel, slot="side", order=20))


def _panel(request, appeal):
    """The reply checks of this appeal, newest first: the current one while it waits for
    verification, earlier ones (sent back for rework) as history."""
    from suqiu.replies.models import ReplyCheck
    from suqiu.replies.services import warning_text

    rows = list(ReplyCheck.objects.filter(appeal=appeal).order_by("-created_at", "-id"))
    if not rows:
        return None
    checks = [
        {
            "check": row,
            "score_pct": round(row.overall * 100),
            "warnings": [warning_text(w) for w in row.warnings],
        }
        for row in rows
    ]
    return {
        "appeal": appeal,
        "current": checks[0] if appeal.status == "resolved" else None,
        "history": checks[1:] if appeal.status == "resolved" else checks,
    }
