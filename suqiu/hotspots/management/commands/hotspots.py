"""``suqiu hotspots run [--days 30] [--until YYYY-MM-DD]``: cluster a window's appeals into
hotspots now (the worker does the rolling window every hour), and print the top of the list.

A run with another ``--threshold`` than the configured one (``SUQIU_HOTSPOTS_THRESHOLD``), or
with ``--dry-run``, is a trial: it prints what it found and leaves the list staff see (and its
hotspot ids and promotions) as it was."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from suqiu.core.errors import ApplicationError
from suqiu.hotspots import clustering, services
from suqiu.hotspots.models import Hotspot, HotspotMember


class Command(BaseCommand):
    help = "Hotspots: run the clustering over a window of appeals and print the top hotspots."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{run}")
        run = sub.add_parser("run", help="cluster a window now")
        run.add_argument(
            "--days",
            type=int,
            default=services.DEFAULT_DAYS,
            help=f"window length in days, 1 to {services.MAX_DAYS} (default 30)",
        )
        run.add_argument(
            "--until",
            help="last day of the window, YYYY-MM-DD (default: now, the rolling window)",
        )
        run.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="cosine similarity that joins two appeals, between 0 and 1 (default: "
            "SUQIU_HOTSPOTS_THRESHOLD, 0.3); another value than the configured one is a trial "
            "run that stores nothing",
        )
        run.add_argument(
            "--dry-run",
            action="store_true",
            help="print what the run finds without replacing the window's hotspots",
        )
        run.add_argument("--top", type=int, default=10, help="hotspots to print (default 10)")

    def handle(self, *args, **options):
        if options["top"] < 0:
            raise CommandError("--top must be 0 or more")
        until = None
        if options.get("until"):
            try:
                until = datetime.strptime(options["until"], "%Y-%m-%d")
            except ValueError as exc:
                raise CommandError("--until must be YYYY-MM-DD") from exc
        configured = services.configured_threshold()
        threshold = options["threshold"]
        trial = options["dry_run"] or (threshold is not None and threshold != configured)
        try:
            # The command speaks English: so do the service's refusals (they store no text).
            with translation.override("en"):
                result = services.run(
                    days=options["days"], until=until, threshold=threshold, store_result=not trial
                )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        took = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items())
        total = sum(result.seconds.values())
        found = f"{result.hotspots} hotspot{'' if result.hotspots == 1 else 's'}"
        if trial:
            why = (
                "--dry-run"
                if options["dry_run"]
                else f"threshold {threshold} (configured: {configured})"
            )
            self.stdout.write(
                f"trial run ({why}): window {result.window}, {result.appeals} appeals, {found}; "
                f"nothing stored, the list staff see is unchanged; {total:.1f} s ({took})"
            )
            for rank, c in enumerate(result.clusters[: options["top"]], 1):
                title = clustering.title_with_places(
                    c.representative.title, "", c.other_places, chinese=True
                )
                self.stdout.write(
                    f"{rank:>3}. heat {c.heat:6.1f}  {len(c.members):>4} appeals  "
                    f"{c.parts['reporters']:>4} reporters  [{c.place_label or '—'}] {title}"
                )
            return
        self.stdout.write(
            f"window {result.window}: {result.appeals} appeals ({result.featurised} newly "
            f"segmented), {found} (+{result.created} new, {result.updated} updated, "
            f"{result.removed} removed); {total:.1f} s ({took})"
        )
        top = Hotspot.objects.filter(window=result.window, is_current=True).order_by("-heat")[
            : options["top"]
        ]
        for rank, h in enumerate(top, 1):
            self.stdout.write(
                f"{rank:>3}. heat {h.heat:6.1f}  {h.size:>4} appeals  {h.reporters:>4} reporters  "
                f"{h.votes:>5} votes  [{h.place_label or '—'}] {h.display_title}"
            )
            titles = (
                HotspotMember.objects.filter(hotspot=h)
                .order_by("-similarity")
                .values_list("appeal__title", flat=True)[:3]
            )
            for t in titles:
                self.stdout.write(f"       · {t}")
