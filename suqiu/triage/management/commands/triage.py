"""`suqiu triage train [--min-per-label N]` trains a routing model from the database and activates
it; `suqiu triage evaluate --train TRAIN.csv --test TEST.csv` prints the evaluation as one JSON
object on its last line; `suqiu triage list`; `suqiu triage activate VERSION`; `suqiu triage off`."""

import contextlib
import json
import os
import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand
from suqiu.core.errors import ValidationFailed


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Routing models of triage: train from the database, evaluate on files, list, activate."
    )

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(
            dest="verb", required=True, metavar="{train,evaluate,list,activate,off}"
        )
        train = verbs.add_parser(
            "train",
            help=_(
                "Train on assessed appeals (their final categories), store the next version, "
                "activate it and print its cross-validated metrics."
            ),
        )
        train.add_argument(
            "--min-per-label",
            type=int,
            default=5,
            help=_("Leave out categories with fewer appeals than this (default 5)."),
        )
        train.add_argument(
            "--target-precision",
            type=float,
            default=0.98,
            help=_("Precision the per-category auto-dispatch thresholds aim for (default 0.98)."),
        )
        train.add_argument(
            "--max-rows",
            type=int,
            default=None,
            help=_(
                "Train on at most this many of the most recent assessed appeals (default: "
                "SUQIU_TRIAGE_MAX_ROWS, 20000; 0 = all of them)."
            ),
        )
        train.add_argument(
            "--seed",
            type=int,
            default=0,
            help=_("Seed of the cross-validation folds and the models (default 0)."),
        )
        train.add_argument(
            "--no-activate", action="store_true", help=_("Store the new version without using it.")
        )
        train.add_argument(
            "--max-drop",
            type=float,
            default=None,
            metavar="F1",
            help=_(
                "Do not activate the new version when its cross-validated macro-F1 is more "
                "than this below the active version's (e.g. 0.03 for a nightly timer): it is "
                "stored, the command exits with status 1, and `activate N` uses it anyway."
            ),
        )
        train.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help=_("Also print the stored metrics and training details as one JSON object."),
        )
        evaluate = verbs.add_parser(
            "evaluate",
            help=_("Train on one CSV file, test on another; the last line is the result as JSON."),
        )
        evaluate.add_argument(
            "--train",
            required=True,
            dest="train_path",
            metavar="TRAIN.csv",
            help=_("Labelled export to train on (留言主题, 留言详情, 一级标签 or 一级分类)."),
        )
        evaluate.add_argument(
            "--test",
            required=True,
            dest="test_path",
            metavar="TEST.csv",
            help=_("Labelled export to score the model on, in the same format."),
        )
        verbs.add_parser("list", help=_("List the stored model versions."))
        activate = verbs.add_parser("activate", help=_("Use this stored version from now on."))
        activate.add_argument("version", type=int, help=_("The version number `list` shows."))
        verbs.add_parser("off", help=_("Use no model (keyword rules only) until one is activated."))

    def handle(self, *args, verb, **opts):
        getattr(self, f"_{verb}")(**opts)

    def _train(
        self,
        *,
        min_per_label,
        max_rows,
        target_precision,
        seed,
        no_activate,
        max_drop,
        as_json,
        **_rest,
    ):
        from suqiu.triage import services

        if min_per_label < 1:
            raise CommandError(_("--min-per-label must be at least 1."))
        if max_rows is not None and not 0 <= max_rows <= 2**31 - 1:
            raise CommandError(_("--max-rows must be 0 (all) to 2147483647."))
        if not 0 <= seed <= 2**32 - 1:
            raise CommandError(_("--seed must be 0 to 4294967295."))
        if not 0 < target_precision <= 1:
            raise CommandError(_("--target-precision must be in (0, 1]."))
        if max_drop is not None and not 0 <= max_drop <= 1:
            raise CommandError(_("--max-drop must be in [0, 1]."))
        try:
            # The service's refusals come in the command's language (they store no text).
            model = services.train_from_db(
                min_per_label=min_per_label,
                max_rows=max_rows,
                target_precision=target_precision,
                seed=seed,
                activate_model=not no_activate,
                max_drop=max_drop,
                progress=lambda msg: self.stderr.write(msg),
            )
        except ValidationFailed as exc:
            raise CommandError(str(exc.message)) from None
        line = (
            _(
                "routing model v%(version)s (active): %(appeals)s appeals, %(categories)s "
                "categories, %(terms)s learnt urgency terms"
            )
            if model.is_active
            else _(
                "routing model v%(version)s (stored, not active): %(appeals)s appeals, "
                "%(categories)s categories, %(terms)s learnt urgency terms"
            )
        )
        self.stdout.write(
            line
            % {
                "version": model.version,
                "appeals": model.n_train,
                "categories": len(model.label_map),
                "terms": len(model.urgency_terms),
            }
        )
        from suqiu.triage.selectors import auto_categories

        _on, off = auto_categories(model)
        counts = {"auto": len(model.auto_labels), "all": len(model.thresholds), "off": off}
        self.stdout.write(
            (
                _(
                    "auto-dispatch thresholds: %(auto)s of %(all)s categories (%(off)s switched "
                    "off by an administrator: no automatic dispatch)"
                )
                if off
                else _("auto-dispatch thresholds: %(auto)s of %(all)s categories")
            )
            % counts
        )
        self.stdout.write(_metrics_line(model))
        info = model.metrics.get("version_info") or {}
        total = info.get("total_seconds", info.get("train_seconds"))
        if total is not None:
            self.stdout.write(
                (
                    _("training: %(seconds).0f s, the cross-validation included")
                    if model.metrics.get("folds")
                    else _("training: %(seconds).0f s")
                )
                % {"seconds": total}
            )
        if as_json:
            self.stdout.write(json.dumps(model.metrics, ensure_ascii=False, default=str))
        held = model.held_back
        if held:
            raise CommandError(
                _(
                    "v%(version)s was not activated: its cross-validated macro-F1 %(new).3f is "
                    "more than %(drop)s below the active v%(active)s's %(old).3f; `suqiu triage "
                    "activate %(version)s` uses it anyway"
                )
                % {
                    "version": model.version,
                    "new": held["new_macro_f1"],
                    "drop": max_drop,
                    "active": held["version"],
                    "old": held["macro_f1"],
                }
            )

    def _evaluate(self, *, train_path, test_path, **_rest):
        from suqiu.triage import evaluation

        for path in (train_path, test_path):
            try:
                with open(path, "rb"):
                    pass
            except OSError as exc:
                raise CommandError(
                    _("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
                ) from None
        self.stderr.write(
            _("evaluating: train %(train)s, test %(test)s")
            % {"train": train_path, "test": test_path}
        )
        if os.path.samefile(train_path, test_path):
            self.stderr.write(
                _(
                    "warning: the test file is the training file: the scores say how well the "
                    "model remembers, not how it routes appeals it has not seen"
                )
            )
        # Whatever the evaluation prints goes to stderr: the JSON stays the last line of stdout.
        with contextlib.redirect_stdout(sys.stderr):
            try:
                result = evaluation.evaluate_files(train_path, test_path)
            except ValueError as exc:  # a file that is not a labelled CSV: say which and why
                raise CommandError(str(exc)) from None
        sys.stderr.flush()
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _list(self, **_rest):
        from suqiu.triage.models import RoutingModel

        rows = RoutingModel.objects.defer("blob").order_by("-version")
        if not rows:
            self.stdout.write(_("no routing model; train one with `suqiu triage train`"))
        for m in rows:
            mark = "*" if m.is_active else " "
            self.stdout.write(
                f"{mark} v{m.version}  {m.created_at:%Y-%m-%d %H:%M}  {m.algorithm}  "
                + _("%(appeals)s appeals  %(categories)s categories")
                % {"appeals": m.n_train, "categories": len(m.label_map)}
                + f"  {_metrics_line(m)}"
            )

    def _activate(self, *, version, **_rest):
        from suqiu.triage import services
        from suqiu.triage.models import RoutingModel

        model = RoutingModel.objects.defer("blob").filter(version=version).first()
        if model is None:
            raise CommandError(_("No routing model v%(version)s.") % {"version": version})
        services.activate(model)
        self.stdout.write(_("routing model v%(version)s is active") % {"version": version})

    def _off(self, **_rest):
        from suqiu.triage import services

        services.deactivate_all()
        self.stdout.write(_("no routing model is active: keyword rules only"))


def _metrics_line(model) -> str:
    """A model's cross-validated figures in a few words."""
    metrics = model.metrics
    if not metrics or "macro_f1" not in metrics:
        return _("no cross-validated figures")
    cover = model.coverage_at_target
    text = _("cross-validated: macro-F1 %(f1).3f, accuracy %(accuracy).3f") % {
        "f1": metrics["macro_f1"],
        "accuracy": metrics["accuracy"],
    }
    if cover is not None:
        text += _(", %(share).0f%% routable at precision %(precision)s") % {
            "share": cover * 100,
            "precision": metrics.get("target_precision", 0.98),
        }
    return text
