"""`suqiu demo`: load the demo directory, people and appeals into an empty database."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand
from suqiu.demo.people import DEMO_PASSWORD, DEMO_USERS


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Load demo data into an empty database: a district with streets, communities and grids, "
        "departments, categories, one user per role and appeals replayed through the services."
    )

    def add_arguments(self, parser):
        parser.add_argument("--appeals", type=int, default=2000, help=_("how many appeals (2000)"))
        parser.add_argument(
            "--days", type=int, default=90, help=_("spread over the last D days (90)")
        )
        parser.add_argument("--seed", type=int, default=42, help=_("random seed (42)"))

    def handle(self, *args, **opts):
        from suqiu.demo.generate import DatabaseNotEmpty, generate

        if opts["appeals"] < 0:
            raise CommandError(_("--appeals must be 0 or more."))
        if not 1 <= opts["days"] <= 3650:
            raise CommandError(_("--days must be between 1 and 3650."))
        try:
            report = generate(
                appeals=opts["appeals"],
                days=opts["days"],
                seed=opts["seed"],
                log=self.stdout.write,
            )
        except DatabaseNotEmpty as exc:
            raise CommandError(str(exc)) from None
        from suqiu.appeals.workflow import STATUS_LABELS, Status

        statuses = ", ".join(
            f"{STATUS_LABELS.get(Status(k), k)} {v}" for k, v in sorted(report.by_status.items())
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data: %(appeals)s appeals, %(events)s events in %(seconds).1f s "
                    "(%(cpu).1f s CPU)."
                )
                % {
                    "appeals": report.appeals,
                    "events": report.events,
                    "seconds": report.seconds,
                    "cpu": report.cpu_seconds,
                }
            )
        )
        if statuses:
            self.stdout.write("  " + _("by status: %(statuses)s") % {"statuses": statuses})
        if report.failures:
            self.stderr.write(
                _("%(n)s appeal(s) stopped early (the services refused a step):")
                % {"n": len(report.failures)}
            )
            for line in report.failures[:20]:
                self.stderr.write(f"  {line}")
        names = ", ".join(u.username for u in DEMO_USERS)
        self.stdout.write(
            _("Sign in as %(names)s (password: %(password)s).")
            % {"names": names, "password": DEMO_PASSWORD}
        )
