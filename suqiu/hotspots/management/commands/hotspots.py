"""``suqiu hotspots run [--days 30] [--until YYYY-MM-DD]``: cluster a window's appeals into
hotspots now (the worker does the rolling window every hour), and print the top of the list."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from suqiu.core.errors import ApplicationError
from suqiu.hotspots import services
from suqiu.hotspots.models import Hotspot, HotspotMember


class Command(BaseCommand):
    help = "Hotspots: run the clustering over a window of appeals and print the top hotspots."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="cluster a window now")
        run.add_argument(
            "--days", type=int, default=services.DEFAULT_DAYS, help="window length (30)"
        )
        run.add_argument(
            "--until",
            help="last day of the window, YYYY-MM-DD (default: now, the rolling window)",
        )
        run.add_argument("--threshold", type=float, default=None, help="cosine threshold (0.3)")
        run.add_argument("--top", type=int, default=10, help="hotspots to print (10)")

    def handle(self, *args, **options):
        if options["top"] < 0:
            raise CommandError("--top must be 0 or more")
        until = None
        if options.get("until"):
            try:
                until = datetime.strptime(options["until"], "%Y-%m-%d")
            except ValueError as exc:
                raise CommandError("--until must be YYYY-MM-DD") from exc
        try:
            result = services.run(days=options["days"], until=until, threshold=options["threshold"])
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"window {result.window}: {result.appeals} appeals ({result.featurised} newly "
            f"segmented), {result.hotspots} hotspots (+{result.created} new, {result.updated} "
            f"updated, {result.removed} removed); seconds {result.seconds}"
        )
        top = Hotspot.objects.filter(window=result.window, is_current=True).order_by("-heat")[
            : options["top"]
        ]
        for rank, h in enumerate(top, 1):
            self.stdout.write(
                f"{rank:>3}. heat {h.heat:6.1f}  {h.size:>4} appeals  {h.reporters:>4} reporters  "
                f"{h.votes:>5} votes  [{h.place_label or '-'}] {h.display_title}"
            )
            titles = (
                HotspotMember.objects.filter(hotspot=h)
                .order_by("-similarity")
                .values_list("appeal__title", flat=True)[:3]
            )
            for t in titles:
                self.stdout.write(f"       · {t}")
