"""``suqiu hotspots run [--days 30] [--until YYYY-MM-DD]``: cluster a window's appeals into
hotspots now (the worker does the rolling window every hour), and print the top of the list.

A run with another ``--threshold`` than the configured one (``SUQIU_HOTSPOTS_THRESHOLD``), or
with ``--dry-run``, is a trial: it prints what it found and leaves the list staff see (and its
hotspot ids and promotions) as it was."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from suqiu.core.commands import SuqiuCommand
from suqiu.core.errors import ApplicationError
from suqiu.hotspots import clustering, services
from suqiu.hotspots.models import Hotspot, HotspotMember


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Hotspots: run the clustering over a window of appeals and print the top hotspots."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{run}")
        run = sub.add_parser("run", help=_("cluster a window now"))
        run.add_argument(
            "--days",
            type=int,
            default=services.DEFAULT_DAYS,
            help=_("window length in days, 1 to %(max)s (default 30)") % {"max": services.MAX_DAYS},
        )
        run.add_argument(
            "--until",
            help=_("last day of the window, YYYY-MM-DD (default: now, the rolling window)"),
        )
        run.add_argument(
            "--threshold",
            type=float,
            default=None,
            help=_(
                "cosine similarity that joins two appeals, between 0 and 1 (default: "
                "SUQIU_HOTSPOTS_THRESHOLD, 0.3); another value than the configured one is a "
                "trial run that stores nothing"
            ),
        )
        run.add_argument(
            "--dry-run",
            action="store_true",
            help=_("print what the run finds without replacing the window's hotspots"),
        )
        run.add_argument("--top", type=int, default=10, help=_("hotspots to print (default 10)"))

    def handle(self, *args, **options):
        if options["top"] < 0:
            raise CommandError(_("--top must be 0 or more"))
        until = None
        if options.get("until"):
            try:
                until = datetime.strptime(options["until"], "%Y-%m-%d")
            except ValueError as exc:
                raise CommandError(_("--until must be YYYY-MM-DD")) from exc
        configured = services.configured_threshold()
        threshold = options["threshold"]
        trial = options["dry_run"] or (threshold is not None and threshold != configured)
        try:
            # The service's refusals come in the command's language (they store no text).
            result = services.run(
                days=options["days"], until=until, threshold=threshold, store_result=not trial
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        took = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items())
        total = sum(result.seconds.values())
        found = ngettext("%(n)s hotspot", "%(n)s hotspots", result.hotspots) % {
            "n": result.hotspots
        }
        if trial:
            why = (
                "--dry-run"
                if options["dry_run"]
                else _("threshold %(threshold)s (configured: %(configured)s)")
                % {"threshold": threshold, "configured": configured}
            )
            self.stdout.write(
                _(
                    "trial run (%(why)s): window %(window)s, %(appeals)s appeals, %(found)s; "
                    "nothing stored, the list staff see is unchanged; %(total).1f s (%(took)s)"
                )
                % {
                    "why": why,
                    "window": result.window,
                    "appeals": result.appeals,
                    "found": found,
                    "total": total,
                    "took": took,
                }
            )
            for rank, c in enumerate(result.clusters[: options["top"]], 1):
                title = clustering.title_with_places(
                    c.representative.title, "", c.other_places, chinese=True
                )
                self.stdout.write(
                    f"{rank:>3}. "
                    + _("heat %(heat)6.1f  %(appeals)4d appeals  %(reporters)4d reporters")
                    % {
                        "heat": c.heat,
                        "appeals": len(c.members),
                        "reporters": c.parts["reporters"],
                    }
                    + f"  [{c.place_label or '—'}] {title}"
                )
            return
        self.stdout.write(
            _(
                "window %(window)s: %(appeals)s appeals (%(featurised)s newly segmented), "
                "%(found)s (+%(created)s new, %(updated)s updated, %(removed)s removed); "
                "%(total).1f s (%(took)s)"
            )
            % {
                "window": result.window,
                "appeals": result.appeals,
                "featurised": result.featurised,
                "found": found,
                "created": result.created,
                "updated": result.updated,
                "removed": result.removed,
                "total": total,
                "took": took,
            }
        )
        top = Hotspot.objects.filter(window=result.window, is_current=True).order_by("-heat")[
            : options["top"]
        ]
        for rank, h in enumerate(top, 1):
            self.stdout.write(
                f"{rank:>3}. "
                + _(
                    "heat %(heat)6.1f  %(appeals)4d appeals  %(reporters)4d reporters  "
                    "%(votes)5d votes"
                )
                % {"heat": h.heat, "appeals": h.size, "reporters": h.reporters, "votes": h.votes}
                + f"  [{h.place_label or '—'}] {h.display_title}"
            )
            titles = (
                HotspotMember.objects.filter(hotspot=h)
                .order_by("-similarity")
                .values_list("appeal__title", flat=True)[:3]
            )
            for t in titles:
                self.stdout.write(f"       · {t}")
