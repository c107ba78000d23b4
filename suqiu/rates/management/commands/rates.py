"""``suqiu rates rebuild``: recompute the rate facts from the appeals' events.

For imported history (imports run no intake hooks) and for repairs. Works in batches of
appeals, one transaction each; the figures are whole again when it ends.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand
from suqiu.rates import facts


class Command(SuqiuCommand):
    help = gettext_lazy("Rate facts: 'rebuild' recomputes them from the appeals' events.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        rebuild = sub.add_parser("rebuild", help=_("recompute every appeal's rate rows"))
        rebuild.add_argument(
            "--batch-size", type=int, default=2000, help=_("appeals per transaction (2000)")
        )

    def handle(self, *args, **options):
        if options["what"] == "rebuild":

            def progress(done):
                if options["verbosity"] > 1:
                    self.stdout.write(_("%(n)s appeals") % {"n": done})

            n = facts.rebuild(batch_size=options["batch_size"], progress=progress)
            self.stdout.write(
                self.style.SUCCESS(_("Rate facts rebuilt for %(n)s appeals.") % {"n": n})
            )
