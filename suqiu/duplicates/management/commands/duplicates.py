"""``suqiu duplicates reindex [--days N]``: index the appeals of the duplicate window that are
not in the index (history imported before imports indexed it, an appeal whose check failed at
intake). One transaction per batch; two at once take turns."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand
from suqiu.duplicates import services


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Duplicate index: 'reindex' adds the appeals of the window that are not in it."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        reindex = sub.add_parser(
            "reindex",
            help=_(
                "index the open appeals and those finished within the window that are not "
                "in the index yet"
            ),
        )
        reindex.add_argument(
            "--days",
            type=int,
            default=None,
            help=_(
                "only those created (open) or finished in the last N days (default: the "
                "window, SUQIU_DUPLICATES window_days and open_days)"
            ),
        )

    def handle(self, *args, **options):
        if options["what"] == "reindex":
            days = options["days"]
            if days is not None and days < 0:
                raise CommandError(_("--days must be 0 or more"))
            n = services.reindex(days=days)
            self.stdout.write(
                self.style.SUCCESS(_("%(n)s appeals added to the duplicate index.") % {"n": n})
            )
