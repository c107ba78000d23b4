"""How often the duplicate check's place rule would part real repeats.

The duplicate check never pairs two appeals that name different places of the same kind
(``duplicates.services.different_places``). This script measures what that costs on real data:
in each file of ``../shared/data/appeals-zh/``, messages that repeat another's text (near-copies:
the grouping of ``bench/triage_cv.py``, at least half of their 12-character shingles shared) are
paired, and the pairs the rule calls "different places" are counted and shown. Some of those are
right (one campaign text sent about two schools), the rest are misses of the place extractor.

    .venv/bin/python bench/duplicate_places.py
"""

from __future__ import annotations

import csv
import itertools
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FILES = (
    "labeled_dev.csv",
    "messages_with_votes.csv",
    "messages_with_replies.csv",
    "messages_unlabeled.csv",
)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()
    import triage_cv

    from suqiu.duplicates.services import different_places, named_places

    folder = triage_cv._default_data().parent
    if not folder.exists():
        print(f"duplicate_places: no data at {folder} (skipped)", file=sys.stderr)
        return 0
    total_pairs = total_parted = 0
    for name in FILES:
        with (folder / name).open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        groups = defaultdict(list)
        for i, g in enumerate(triage_cv._groups([r["留言详情"] for r in rows])):
            groups[g].append(i)
        named = {}
        pairs = parted = 0
        for members in groups.values():
            for a, b in itertools.combinations(members, 2):
                for i in (a, b):
                    if i not in named:
                        named[i] = named_places(rows[i]["留言主题"], rows[i]["留言详情"])
                pairs += 1
                if different_places(named[a], named[b]):
                    parted += 1
                    print(
                        f"  parted: {rows[a]['留言主题'][:28]} {sorted(named[a].estates)}"
                        f" | {rows[b]['留言主题'][:28]} {sorted(named[b].estates)}"
                    )
        print(f"{name}: {pairs} pairs of near-copies, {parted} parted by the place rule")
        total_pairs += pairs
        total_parted += parted
    share = total_parted / total_pairs if total_pairs else 0.0
    print(f"all: {total_pairs} pairs, {total_parted} parted ({share:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
