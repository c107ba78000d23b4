"""`suqiu demo`: load the demo directory, people and appeals into an empty database."""

from django.core.management.base import BaseCommand, CommandError

from suqiu.demo.people import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = (
        "Load demo data into an empty database: a district with streets, communities and grids, "
        "departments, categories, one user per role and appeals replayed through the services."
    )

    def add_arguments(self, parser):
        parser.add_argument("--appeals", type=int, default=2000, help="how many appeals (2000)")
        parser.add_argument("--days", type=int, default=90, help="spread over the last D days (90)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (42)")

    def handle(self, *args, **opts):
        from suqiu.demo.generate import DatabaseNotEmpty, generate

        if opts["appeals"] < 0:
            raise CommandError("--appeals must be 0 or more.")
        if not 1 <= opts["days"] <= 3650:
            raise CommandError("--days must be between 1 and 3650.")
        try:
            report = generate(
                appeals=opts["appeals"],
                days=opts["days"],
                seed=opts["seed"],
                log=self.stdout.write,
            )
        except DatabaseNotEmpty as exc:
            raise CommandError(str(exc)) from None
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(report.by_status.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {report.appeals} appeals, {report.events} events "
                f"in {report.seconds:.1f} s ({report.cpu_seconds:.1f} s CPU)."
            )
        )
        if statuses:
            self.stdout.write(f"  by status: {statuses}")
        if report.failures:
            self.stderr.write(
                f"{len(report.failures)} appeal(s) stopped early (the services refused a step):"
            )
            for line in report.failures[:20]:
                self.stderr.write(f"  {line}")
        names = ", ".join(u.username for u in DEMO_USERS)
        self.stdout.write(f"Sign in as {names} (password: {DEMO_PASSWORD}).")
