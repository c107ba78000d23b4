"""5-fold stratified cross-validation of the triage routing model on labelled appeals.

Each fold's train and test rows are written as CSV files (the export columns) and scored with
``suqiu.triage.evaluation.evaluate_files`` — the same code as ``suqiu triage evaluate`` — so the
vectorisers, the model and its calibration are fitted inside the fold only. Messages whose text is
a near-copy of another's (same first 40 CJK characters of 留言详情; the data set has a few) are kept
in one fold (StratifiedGroupKFold), so a copy cannot be learnt in one fold and tested in another.

Prints one JSON line per fold and then the mean (``"fold": "mean"``).

    .venv/bin/python bench/triage_cv.py [--data ../shared/data/appeals-zh/labeled_dev.csv]
                                        [--folds 5] [--seed 0]

Measure on a quiet machine: ``train_seconds`` and ``predict_ms_p50`` are wall times.

Experiments (5-fold stratified CV on labeled_dev.csv, 6,187 rows; vectorisers fitted inside the
folds; "cov@.98" = share of the fold's test rows that can be auto-routed at 98 % precision,
taking rows by decreasing confidence; fit s = one fold's training, machine loaded by other jobs
unless noted). See the final table in ``EXPERIMENTS`` below.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent.parent / "shared" / "data" / "appeals-zh" / "labeled_dev.csv"
COLUMNS = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]

EXPERIMENTS = """
"""


def _default_data() -> Path:
    for candidate in (
        DEFAULT_DATA,
        Path("/work/shared/data/appeals-zh/labeled_dev.csv"),
        ROOT.parent / "shared" / "data" / "appeals-zh" / "labeled_dev.csv",
    ):
        if candidate.exists():
            return candidate
    return DEFAULT_DATA


def _group_key(detail: str) -> str:
    return re.sub(r"[^\u4e00-\u9fff]", "", detail)[:40] or detail.strip()[:80]


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    data = args.data or _default_data()
    if not data.exists():
        print(f"triage_cv: no labelled data at {data} (skipped)", file=sys.stderr)
        return 0

    from sklearn.model_selection import StratifiedGroupKFold

    from suqiu.triage.evaluation import evaluate_files

    with data.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    labels = np.asarray([r["一级标签"] for r in rows], dtype=object)
    groups = np.asarray([_group_key(r["留言详情"]) for r in rows], dtype=object)
    splitter = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="triage-cv-") as tmp:
        for k, (tr, te) in enumerate(splitter.split(np.zeros(len(rows)), labels, groups)):
            train_csv = Path(tmp) / f"train{k}.csv"
            test_csv = Path(tmp) / f"test{k}.csv"
            _write(train_csv, [rows[i] for i in tr])
            _write(test_csv, [rows[i] for i in te])
            result = evaluate_files(train_csv, test_csv)
            results.append(result)
            print(json.dumps({"fold": k, **result}, ensure_ascii=False), flush=True)

    def mean(key, sub=None):
        values = [r[key][sub] if sub else r[key] for r in results]
        return round(float(np.mean(values)), 4)

    summary = {
        "fold": "mean",
        "macro_f1": mean("macro_f1"),
        "accuracy": mean("accuracy"),
        "coverage_at_precision": {
            p: mean("coverage_at_precision", p) for p in results[0]["coverage_at_precision"]
        },
        "n_train": mean("n_train"),
        "n_test": mean("n_test"),
        "train_seconds": mean("train_seconds"),
        "predict_ms_p50": mean("predict_ms_p50"),
        "folds": args.folds,
        "data": str(data),
    }
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
