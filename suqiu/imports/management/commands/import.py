"""`suqiu import appeals FILE`: import another system's appeal history from CSV or XLSX.

    suqiu import appeals export.csv                       # preset picked from the header
    suqiu import appeals 311.csv --preset us311           # the city picked from the header
    suqiu import appeals data.xlsx --mapping hotline.toml --source hotline-2019
    suqiu import appeals export.csv --errors /tmp/bad.csv --no-create-categories
    suqiu import appeals 311.csv --list-categories > 311-categories.csv  # a map to edit
    suqiu import appeals 311.csv --categories 311-categories.csv        # source text -> our codes
    suqiu import appeals 311.csv --categories fixed.csv --recategorise # correct imported history
    suqiu import appeals labelled.csv --ids-from-content --default-time 2019-12-31
        # rows without an id get one from their content, rows without a time that date

See ``suqiu.imports.importer`` for what is imported and how bad rows are reported.
"""

import csv

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand
from suqiu.core.errors import ApplicationError
from suqiu.imports.importer import import_appeals, list_categories
from suqiu.imports.presets import FAMILIES, PRESETS, MappingError
from suqiu.imports.readers import ReadError


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Import appeal history (closed appeals with their original times and replies)."
    )

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="{appeals}")
        appeals = kinds.add_parser(
            "appeals",
            help=_("Import appeals from a CSV or XLSX export; safe to run again (idempotent)."),
        )
        appeals.add_argument("file", help=_("CSV (UTF-8 or GB18030) or XLSX file"))
        appeals.add_argument(
            "--preset",
            choices=[*PRESETS, *FAMILIES],
            help=_("column mapping of a known export (default: recognised from the header)"),
        )
        appeals.add_argument(
            "--mapping", metavar="FILE", help=_("custom column mapping, .json or .toml")
        )
        appeals.add_argument(
            "--source",
            help=_("external source name the ids belong to (default: the preset's or mapping's)"),
        )
        appeals.add_argument(
            "--errors",
            metavar="FILE",
            help=_(
                "error report CSV (default: <name>.errors.csv next to the file: hotline.xlsx -> hotline.errors.csv)"
            ),
        )
        appeals.add_argument(
            "--batch-size", type=int, default=1000, help=_("rows per transaction (1000)")
        )
        appeals.add_argument(
            "--no-create-categories",
            action="store_true",
            help=_("report unknown categories as errors instead of creating them under IMPORTED"),
        )
        appeals.add_argument(
            "--categories",
            metavar="FILE",
            help=_(
                "category map, CSV with the columns source,code: source category text -> Suqiu category code"
            ),
        )
        appeals.add_argument(
            "--recategorise",
            action="store_true",
            help=_(
                "rows already imported take what the file gives them now: the category (with --categories: a corrected map), the urgency (an urgency column) and the lead organisation (an agency naming one of ours, e.g. organisations created after the first import); each changed appeal gets an 'imported record corrected' event"
            ),
        )
        appeals.add_argument(
            "--ids-from-content",
            action="store_true",
            help=_(
                "a row without an id gets one from its content (sha1: and 16 hex digits of its user, phone, time, title, description and address) instead of being an error; importing the file again finds it, and a row repeating another's content is that appeal"
            ),
        )
        appeals.add_argument(
            "--default-time",
            metavar="YYYY-MM-DD",
            help=_(
                "the creation time of rows that have none (a local date, or date and time), flagged in their events; without it such rows are errors"
            ),
        )
        appeals.add_argument(
            "--list-categories",
            action="store_true",
            help=_(
                "import nothing: print the file's category texts as a category map (CSV: source,code,rows,matched_by) to edit and give back with --categories"
            ),
        )
        appeals.add_argument("--encoding", help=_("CSV encoding (default: UTF-8, else GB18030)"))
        appeals.add_argument("--sheet", help=_("XLSX sheet name (default: the active sheet)"))
        appeals.add_argument(
            "--limit", type=int, help=_("import (or list the categories of) at most this many rows")
        )
        appeals.add_argument("--no-progress", action="store_true", help=_("no progress bar"))

    def handle(self, *args, kind, **opts):
        if opts["preset"] and opts["mapping"]:
            raise CommandError(_("give --preset or --mapping, not both"))
        if not 1 <= opts["batch_size"] <= 50_000:
            raise CommandError(_("--batch-size must be 1 to 50000"))
        if opts["limit"] is not None and opts["limit"] < 1:
            raise CommandError(_("--limit must be 1 or more"))
        if opts["source"] is not None and not opts["source"].strip():
            raise CommandError(_("--source must not be empty"))
        common = {
            "preset": opts["preset"],
            "mapping_file": opts["mapping"],
            "categories_file": opts["categories"],
            "encoding": opts["encoding"],
            "sheet": opts["sheet"],
        }
        try:
            if opts["list_categories"]:
                texts = list_categories(opts["file"], **common, limit=opts["limit"])
            else:
                summary = import_appeals(
                    opts["file"],
                    **common,
                    source=opts["source"],
                    errors_path=opts["errors"],
                    batch_size=opts["batch_size"],
                    create_categories=not opts["no_create_categories"],
                    recategorise=opts["recategorise"],
                    ids_from_content=opts["ids_from_content"],
                    default_time=opts["default_time"],
                    limit=opts["limit"],
                    progress=not opts["no_progress"],
                    progress_file=self.stderr._out,
                )
        except (ReadError, MappingError, LookupError) as exc:
            raise CommandError(str(exc)) from exc
        except ApplicationError as exc:
            fields = getattr(exc, "fields", None)
            raise CommandError(f"{exc}: {fields}" if fields else str(exc)) from exc
        if opts["list_categories"]:
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(["source", "code", "rows", "matched_by"])
            for t in texts:
                writer.writerow([t.text, t.code, t.rows, t.how])
            return
        for line in summary.lines():
            self.stdout.write(line)
        if summary.failed and not (summary.created or summary.already_present):
            # Every row refused: a script running the import should stop here (exit 1).
            raise CommandError(
                _("no row could be imported (%(failed)s failed): see %(path)s")
                % {"failed": summary.failed, "path": summary.errors_path}
            )
