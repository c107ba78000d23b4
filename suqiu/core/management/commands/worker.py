from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand
from suqiu.core.worker import Worker, duties


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Run the background worker (several may run at once on PostgreSQL; one on SQLite)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("Run every duty once and exit."))
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.SUQIU["WORKER_INTERVAL_SECONDS"],
            help=_("Seconds between rounds of the duties (default: SUQIU_WORKER_INTERVAL, 5)."),
        )
        parser.add_argument(
            "--duty", action="append", default=None, help=_("Only this duty (repeatable).")
        )

    def handle(self, *args, **opts):
        worker = Worker(interval=opts["interval"], only=set(opts["duty"]) if opts["duty"] else None)
        if opts["once"]:
            worker.last_run.clear()
            handled = worker.run_once()
            for name in sorted(handled):
                self.stdout.write(f"{name}: {handled[name]}")
            if not duties():
                self.stdout.write(_("no duties registered"))
            return
        worker.run_forever()
