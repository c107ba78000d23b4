"""Evaluating the routing model on labelled CSV files (``suqiu triage evaluate``).

The CSV files have the columns of the appeal exports: 留言编号, 留言用户, 留言主题, 留言时间,
留言详情, 一级标签 (other columns are ignored). The text is ``router.text_of(留言主题, 留言详情)``,
the label 一级标签 (or, in exports that name it so, 一级分类).
"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from suqiu.triage import router as router_mod
from suqiu.triage.router import coverage_at_precision, scores

__all__ = ["coverage_at_precision", "evaluate", "evaluate_files", "read_labelled_csv"]

TITLE = "留言主题"
DETAIL = "留言详情"
LABEL = "一级标签"
LABEL_ALSO = "一级分类"  # the same column in other exports (the import preset takes both)
REQUIRED = (TITLE, DETAIL, LABEL)


def read_labelled_csv(
    path, *, skipped: list[tuple[int, str]] | None = None, keep_empty_text: bool = False
) -> tuple[list[str], list[str]]:
    """Texts (title + detail, see ``router.text_of``) and labels of a labelled CSV file.

    A row without a label cannot be learnt or scored, and one without any text teaches nothing:
    they are left out, each noted in ``skipped`` as (row number, reason) when a list is given.
    ``keep_empty_text``: a row with a label and no text is kept (a test file: the model is
    scored on it all the same). Raises ``ValueError`` with a clear message when the file is
    missing, is not UTF-8 CSV, lacks a required column, or has no row left.
    """
    if skipped is None:
        skipped = []
    path = Path(path)
    try:
        f = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ValueError(f"{path}: cannot open ({exc.strerror or exc}).") from exc
    texts: list[str] = []
    labels: list[str] = []
    with f:
        try:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            label_column = LABEL if LABEL in columns or LABEL_ALSO not in columns else LABEL_ALSO
            missing = [c for c in (TITLE, DETAIL, label_column) if c not in columns]
            if missing:
                raise ValueError(
                    f"{path}: missing column(s) {', '.join(missing)}; a labelled CSV needs "
                    f"{', '.join(REQUIRED)} (or {LABEL_ALSO}; found: "
                    f"{', '.join(columns) or 'no header'})."
                )
            reader.fieldnames = columns
            for line, row in enumerate(reader, start=2):
                label = (row.get(label_column) or "").strip()
                text = router_mod.text_of(row.get(TITLE) or "", row.get(DETAIL) or "")
                if not label:
                    skipped.append((line, f"empty {label_column}"))
                    continue
                if not text.strip() and not keep_empty_text:
                    skipped.append((line, f"empty {TITLE} and {DETAIL}"))
                    continue
                texts.append(text)
                labels.append(label)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc.reason}).") from exc
        except csv.Error as exc:
            raise ValueError(f"{path}: not a readable CSV file ({exc}).") from exc
    if not texts:
        raise ValueError(f"{path}: no labelled rows.")
    return texts, labels


def evaluate(
    train_texts: list[str],
    train_labels: list[str],
    test_texts: list[str],
    test_labels: list[str],
    *,
    seed: int = 0,
    latency_sample: int | None = 1000,
) -> dict:
    """Train on one set, score on the other. Returns the ``evaluate_files`` dict.

    ``predict_ms_p50`` is the median latency of predicting one text at a time, over the test
    set (or an evenly spread sample of ``latency_sample`` of its texts).
    """
    started = time.perf_counter()
    model = router_mod.train(train_texts, train_labels, calibrate_thresholds=False, seed=seed)
    train_seconds = time.perf_counter() - started

    probs = model.predict_proba(test_texts)
    labels = np.asarray(model.labels, dtype=object)
    pred = labels[probs.argmax(axis=1)] if len(test_texts) else np.asarray([], dtype=object)
    conf = probs.max(axis=1) if len(test_texts) else np.asarray([])
    result = scores(test_labels, pred, conf)

    sample = list(test_texts)
    if latency_sample and len(sample) > latency_sample:
        step = len(sample) / latency_sample
        sample = [sample[int(i * step)] for i in range(latency_sample)]
    latencies = []
    for text in sample:
        t0 = time.perf_counter()
        model.predict([text], top=3)
        latencies.append((time.perf_counter() - t0) * 1000.0)
    return {
        "macro_f1": round(result["macro_f1"], 4),
        "accuracy": round(result["accuracy"], 4),
        "coverage_at_precision": {
            k: round(v, 4) for k, v in result["coverage_at_precision"].items()
        },
        "n_train": len(train_texts),
        "n_test": len(test_texts),
        "train_seconds": round(train_seconds, 2),
        "predict_ms_p50": round(float(np.median(latencies)), 3) if latencies else 0.0,
    }


def evaluate_files(train_path, test_path) -> dict:
    """Train on the labelled CSV ``train_path`` and score on ``test_path``.

    Returns ``{"macro_f1", "accuracy", "coverage_at_precision": {"0.95", "0.98", "0.99"},
    "n_train", "n_test", "train_seconds", "predict_ms_p50"}``.
    """
    train_texts, train_labels = _read(train_path, keep_empty_text=False)
    test_texts, test_labels = _read(test_path, keep_empty_text=True)
    return evaluate(train_texts, train_labels, test_texts, test_labels)


def _read(path, *, keep_empty_text: bool) -> tuple[list[str], list[str]]:
    """``read_labelled_csv``, saying on stderr which rows it left out (the JSON result stays the
    last line of stdout)."""
    skipped: list[tuple[int, str]] = []
    texts, labels = read_labelled_csv(path, skipped=skipped, keep_empty_text=keep_empty_text)
    if skipped:
        reasons = Counter(reason for _line, reason in skipped)
        rows = ", ".join(str(line) for line, _reason in skipped[:10])
        more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        print(
            f"warning: {path}: {len(skipped)} row(s) left out "
            f"({'; '.join(f'{r}: {n}' for r, n in reasons.most_common())}): rows {rows}{more}",
            file=sys.stderr,
        )
    return texts, labels
