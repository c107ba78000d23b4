"""``suqiu rates rebuild``: recompute the rate facts from the appeals' events.

For imported history (imports run no intake hooks) and for repairs. Works in batches of
appeals, one transaction each; the figures are whole again when it ends.
"""

from django.core.management.base import BaseCommand

from suqiu.rates import facts


class Command(BaseCommand):
    help = "Rate facts: 'rebuild' recomputes them from the appeals' events."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute every appeal's rate rows")
        rebuild.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, **options):
        if options["what"] == "rebuild":

            def progress(done):
                if options["verbosity"] > 1:
                    self.stdout.write(f"{done} appeals")

            n = facts.rebuild(batch_size=options["batch_size"], progress=progress)
            self.stdout.write(self.style.SUCCESS(f"Rate facts rebuilt for {n} appeals."))
