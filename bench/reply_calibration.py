"""Reply checks on real replies: how many real official replies each warning would flag.

Reads ``../shared/data/appeals-zh/messages_with_replies.csv`` (message title, details, reply;
read, never copied) and runs ``suqiu.replies.checks.check`` on every reply, then prints the
share flagged per warning, the overall score's distribution, and the same for a few candidate
thresholds, so the defaults in ``checks.DEFAULTS`` can be chosen on data. Timeliness needs a due
time, which the data does not have: the reply delay's distribution is printed instead.

    .venv/bin/python bench/reply_calibration.py [--min-chars 30] [--min-addressed 0.2]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA = PROJECT_DIR.parent / "shared" / "data" / "appeals-zh" / "messages_with_replies.csv"
if not DATA.exists():
    DATA = Path("/work/shared/data/appeals-zh/messages_with_replies.csv")


def _time(value: str) -> datetime | None:
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-chars", type=int, default=None)
    parser.add_argument("--min-addressed", type=float, default=None)
    parser.add_argument(
        "--examples", type=int, default=0, help="print N flagged replies per warning"
    )
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: no data at {DATA}")
        return 0
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()
    from suqiu.replies import checks

    cfg = checks.config()
    if args.min_chars is not None:
        cfg["min_chars"] = args.min_chars
    if args.min_addressed is not None:
        cfg["min_addressed"] = args.min_addressed
    with DATA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    flagged: Counter = Counter()
    examples: dict[str, list[str]] = {}
    overall, addressed, lengths, delays = [], [], [], []
    clean = 0
    for row in rows:
        reply = (row.get("答复意见") or "").strip()
        result = checks.check(
            title=row.get("留言主题") or "",
            description=row.get("留言详情") or "",
            reply=reply,
            cfg=cfg,
        )
        overall.append(result.overall)
        addressed.append(result.addresses)
        lengths.append(result.chars)
        codes = {w["code"] for w in result.warnings}
        clean += not codes
        for code in codes:
            flagged[code] += 1
            examples.setdefault(code, []).append(reply[:160].replace("\n", " "))
        asked, answered = _time(row.get("留言时间") or ""), _time(row.get("答复时间") or "")
        if asked and answered:
            delays.append((answered - asked).total_seconds() / 86400)
    n = len(rows)
    print(
        f"{n} real replies; config: min_chars={cfg['min_chars']}, "
        f"min_addressed={cfg['min_addressed']}, main_terms={cfg['main_terms']}"
    )
    print(f"no warning at all: {clean / n:.1%}")
    for code in ("off_topic", "no_action", "no_time", "too_short"):
        print(f"  {code:10s} {flagged[code] / n:6.1%}  ({flagged[code]})")
    q = statistics.quantiles(overall, n=10)
    print("overall score deciles:", " ".join(f"{v:.2f}" for v in q))
    q = statistics.quantiles(addressed, n=10)
    print("share of main terms mentioned, deciles:", " ".join(f"{v:.2f}" for v in q))
    q = statistics.quantiles(lengths, n=10)
    print("reply length (chars), deciles:", " ".join(f"{v:.0f}" for v in q))
    for limit in (10, 20, 30, 50, 80):
        print(f"  shorter than {limit:3d}: {sum(1 for v in lengths if v < limit) / n:6.1%}")
    for share in (0.1, 0.2, 0.3, 0.4):
        print(
            f"  mentions < {share:.0%} of main terms: "
            f"{sum(1 for v in addressed if v < share) / n:6.1%}"
        )
    if delays:
        q = statistics.quantiles(delays, n=10)
        print("reply delay (days), deciles:", " ".join(f"{v:.1f}" for v in q))
    for code, texts in examples.items():
        for text in texts[: args.examples]:
            print(f"[{code}] {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
