"""Similar appeals in the appeal's street (its own community too), on real texts: what each
threshold shows.

The real messages name no communities, so this spreads 2,500 of
``../shared/data/appeals-zh/messages_with_votes.csv`` (read, never copied) over the 9 communities
of one street, in turn, through intake (so the duplicate index holds them), in a throwaway SQLite
database. Then it asks ``duplicates.services.similar_elsewhere`` for ``--lookups`` random appeals
with no threshold and prints how many listed appeals fall in each band of similarity, and the
pairs under ``--show-below`` to read by hand: are they the same problem?

The default of ``elsewhere_min_similarity`` (0.35) was chosen this way, 2026-11-25: of the 59
pairs from 0.30 to 0.6 of 300 look-ups, 27 of the 29 from 0.35 tell the same problem, 22 of the
30 below 0.35.

    .venv/bin/python bench/elsewhere_calibration.py [--lookups 300] [--show 60]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA = PROJECT_DIR.parent / "shared" / "data" / "appeals-zh" / "messages_with_votes.csv"
if not DATA.exists():
    DATA = Path("/work/shared/data/appeals-zh/messages_with_votes.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2500)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--show", type=int, default=60, help="pairs to print")
    parser.add_argument("--show-below", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: no data at {DATA}")
        return 0
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["SUQIU_DATA_DIR"] = tempfile.mkdtemp(prefix="suqiu-bench-elsewhere-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    from suqiu.appeals import services
    from suqiu.core.testing import build_world
    from suqiu.directory.access import actor_for
    from suqiu.directory.models import Organisation, OrgKind
    from suqiu.duplicates import index
    from suqiu.duplicates.services import similar_elsewhere

    call_command("migrate", verbosity=0)
    world = build_world()
    communities = [world.c1, world.c2] + [
        Organisation.objects.create(
            code=f"CAL{i}", name=f"社区{i}", kind=OrgKind.COMMUNITY, parent=world.s1
        )
        for i in range(7)
    ]
    with DATA.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(args.seed)
    rng.shuffle(rows)
    operator = actor_for(world.operator)
    made = []
    for i, row in enumerate(rows[: args.messages]):
        title = row["留言主题"].strip()[:200]
        data = services.AppealInput(
            title=title,
            description=(row["留言详情"].strip() or title)[:3000],
            reporter_name="来电人",
            reporter_phone=str(13800000000 + i),
            area=communities[i % len(communities)].pk,
        )
        made.append(services.appeal_create(actor=operator, data=data))
    print(f"{len(made)} messages over {len(communities)} communities of one street")
    dispatcher = actor_for(world.dispatcher)
    bar = index.config()["elsewhere_min_similarity"]
    bands: Counter = Counter()
    shown = with_panel = 0
    with override_settings(
        SUQIU_DUPLICATES={"elsewhere_min_similarity": 0.0, "elsewhere_max_shown": 100}
    ):
        for appeal in rng.sample(made, min(args.lookups, len(made))):
            found = similar_elsewhere(actor=dispatcher, appeal=appeal)
            with_panel += any(e.similarity >= bar for e in found)
            for e in found:
                bands[min(9, int(e.similarity * 10))] += 1
                if shown < args.show and 0.3 <= e.similarity < args.show_below:
                    shown += 1
                    print(f"{e.similarity:.2f} | {appeal.title[:30]} | {e.appeal.title[:30]}")
    print(f"look-ups with an appeal at the default bar ({bar}): {with_panel} of {args.lookups}")
    print("similarity band | appeals listed")
    for band in sorted(bands):
        print(f"{band / 10:.1f}-{(band + 1) / 10:.1f}         | {bands[band]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
