"""Hotspots: the clustering job over 30 days of a megacity, on PostgreSQL; and the top 10 of the
real messages with votes.

Scale (what the table shows), per size in ``--hot-sizes``, from scratch:

1. a fresh PostgreSQL database (``suqiu_bench_hotspots``, dropped and created again), migrated;
   a directory of streets, communities and ``--hot-grids`` square grids tiled over a field;
2. N appeals over the last ``--hot-days`` days, written with COPY: real texts (every message of
   ``/work/shared/data/appeals-zh``: title + description, the description cut after its first
   sentence or whole) recombined with grids at random, 90 % with a point in a grid and 10 %
   without (placed by the text), every appeal by its own reporter. One appeal in 1,000 seeds
   a planted hotspot: 5-40 appeals of that text in that grid by different people, more of them
   in the recent half of the window. Each appeal's features (place, block, jieba terms) are
   written with it — computed once per distinct text, so generating does not take the half
   hour that segmenting 1.5 M appeals one by one would (the per-appeal cost is measured on its
   own: ``segment ms``);
3. **the job**: ``hotspots.services.run(days=30)`` — read the window's features, TF-IDF,
   clustering in place blocks, storing the hotspots — timed with its parts;
4. **the hourly run**: one hour of intake at 50,000 appeals a day (2,083 new appeals, without
   features) is added and the job runs again: segmenting the new appeals, re-clustering,
   updating the stored hotspots in place;
5. checks: every planted hotspot is found (a hotspot holds at least 80 % of its appeals, and
   they, other reports of the same message and phone reports naming its place with two of its
   words make at least 80 % of that hotspot: phone reports naming the planted message's estate
   are joined to the grid's, see ``clustering._join_places``), and the hourly re-run keeps ids (no planted
   hotspot is deleted and created again).

Real data (``--hot-real`` runs only this part; it also runs after the scale part when the file
is there): ``messages_with_votes.csv`` (4,326 messages 2017-2020 with likes and dislikes) is
loaded into its own throwaway database as closed imported appeals (title, description, time,
votes, the user id as the reporter; no coordinates), the job runs over the whole time range
(``--until`` its last day) and the top 10 is printed: rank, heat, appeals, reporters, votes,
place, the representative title and a few member titles.

    .venv/bin/python bench/hotspots.py --hot-real
    .venv/bin/python bench/hotspots.py --hot-sizes 150000,300000,600000,1500000
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import datetime, timedelta
from pathlib import Path

import intake  # shared helpers: throwaway databases, child phases

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SUQIU_SHARED_DATA", PROJECT_DIR.parent / "shared" / "data"))
if not (DATA_DIR / "appeals-zh").exists():
    DATA_DIR = Path("/work/shared/data")
CORPUS = DATA_DIR / "appeals-zh"
VOTES_CSV = CORPUS / "messages_with_votes.csv"
PG_ADMIN_URL = intake.PG_ADMIN_URL
PG_BENCH_DB = os.environ.get("SUQIU_BENCH_HOTSPOTS_DB", "suqiu_bench_hotspots")
PER_DAY = 50_000  # a megacity's appeals a day (the figure)
FIELD_ORIGIN = (22.50, 113.80)
CELL = 0.005  # grid side in degrees (about 500 m)

COLUMNS = [
    ("appeals", "appeals"),
    ("grids", "grids"),
    ("generate s", "generate_s"),
    ("job s", "job_s"),
    ("load s", "load_s"),
    ("cluster s", "cluster_s"),
    ("store s", "store_s"),
    ("hotspots", "hotspots"),
    ("peak MB", "peak_mb"),
    ("hourly s", "hourly_s"),
    ("segment ms", "segment_ms"),
    ("planted found", "planted_found"),
]


def _log(msg: str) -> None:
    print(f"  hotspots: {msg}", file=sys.stderr, flush=True)


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()


def _copy_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n").replace("\r", "")


_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")


def parse_time(value: str) -> datetime:
    value = value.strip()
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    raise ValueError(f"unknown time format: {value!r}")


def load_pool() -> list[tuple[str, str]]:
    """Distinct (title, description) of every message file of the corpus."""
    seen: set[str] = set()
    pool = []
    for name in (
        "messages_with_votes.csv",
        "messages_with_replies.csv",
        "messages_unlabeled.csv",
        "labeled_dev.csv",
    ):
        path = CORPUS / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                if row.get("text_form", "original") != "original":
                    continue
                title = _SPACE.sub(" ", row.get("留言主题") or "").strip()
                desc = _SPACE.sub(" ", row.get("留言详情") or "").strip()
                if title and desc and title not in seen:
                    seen.add(title)
                    pool.append((title[:120], desc[:2000]))
    return pool


def first_sentence(desc: str) -> str:
    parts = [p for p in _SENTENCE_END.split(desc) if p.strip()]
    return parts[0] if parts else desc


class AppealCopy:
    """Lines for ``COPY appeals_appeal``: every concrete column, defaults for the rest."""

    def __init__(self):
        from suqiu.appeals.models import Appeal

        self.fields = list(Appeal._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        template = []
        for f in self.fields:
            if f.null:
                template.append("\\N")
            elif f.has_default():
                d = f.get_default()
                template.append(
                    ("t" if d else "f") if isinstance(d, bool) else _copy_escape(str(d))
                )
            else:
                template.append("")
        self.template = template
        self.index = {f.attname: i for i, f in enumerate(self.fields)}

    def line(self, **values) -> str:
        row = list(self.template)
        for name, value in values.items():
            if value is None:
                row[self.index[name]] = "\\N"
            elif isinstance(value, datetime):
                row[self.index[name]] = value.isoformat()
            else:
                row[self.index[name]] = _copy_escape(str(value))
        return "\t".join(row) + "\n"

    def sql(self) -> str:
        return f"COPY appeals_appeal ({', '.join(self.columns)}) FROM STDIN"


# --- Child phases (Django imported here only) --------------------------------------------------


def _phase_scale(args) -> dict:
    _django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from suqiu.core.testing import square
    from suqiu.directory.models import Grid, Organisation, OrgKind
    from suqiu.hotspots import services
    from suqiu.hotspots.models import HotspotMember

    n_appeals, n_grids, days = args.hot_appeals, args.hot_grids, args.hot_days
    rng = random.Random(args.hot_seed)
    timings: dict = {}
    t0 = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)

    district = Organisation.objects.create(code="H-D", name="基准市", kind=OrgKind.DISTRICT)
    n_streets = max(1, n_grids // 100)
    streets = [
        Organisation.objects.create(
            code=f"H-S{s}", name=f"街道{s}", kind=OrgKind.STREET, parent=district
        )
        for s in range(n_streets)
    ]
    communities = [
        Organisation.objects.create(
            code=f"H-C{c}", name=f"社区{c}", kind=OrgKind.COMMUNITY, parent=streets[c % n_streets]
        )
        for c in range(max(1, n_grids // 8))
    ]
    side = max(1, int(round(n_grids**0.5)))
    grid_objs = []
    for n in range(n_grids):
        row, col = divmod(n, side)
        lat = FIELD_ORIGIN[0] + (row + 0.5) * CELL
        lon = FIELD_ORIGIN[1] + (col + 0.5) * CELL
        grid_objs.append(
            Grid(
                code=f"H-G{n}",
                name=f"网格{n}",
                community=communities[n % len(communities)],
                boundary=square(lat, lon, CELL / 2),
            )
        )
    Grid.objects.bulk_create(grid_objs, batch_size=2000)
    grids = [
        (g.pk, g.community_id, lat_lon)
        for g, lat_lon in zip(
            Grid.objects.order_by("pk"),
            [
                (
                    FIELD_ORIGIN[0] + (n // side + 0.5) * CELL,
                    FIELD_ORIGIN[1] + (n % side + 0.5) * CELL,
                )
                for n in range(n_grids)
            ],
            strict=True,
        )
    ]
    paths = dict(Organisation.objects.values_list("pk", "path"))
    timings["directory_s"] = round(time.monotonic() - t0, 1)

    # Texts: each pool entry in two variants (whole description, first sentence); features once.
    t = time.monotonic()
    pool = load_pool()
    variants = []
    for title, desc in pool:
        variants.append((title, desc))
        short = first_sentence(desc)
        if short != desc:
            variants.append((title, short))
    feats = [
        services.features_of(
            title=title, description=desc, grid_id=None, lat=None, lon=None, area_id=0
        )
        for title, desc in variants
    ]
    timings["texts_s"] = round(time.monotonic() - t, 1)
    segment_ms = 1000 * (time.monotonic() - t) / max(1, len(variants))
    _log(f"{len(pool):,} texts, {len(variants):,} variants segmented ({segment_ms:.2f} ms each)")

    now = timezone.now()
    window = timedelta(days=days)
    copy = AppealCopy()
    raw = connection.connection
    planted: list[list[int]] = []
    # Which message each appeal is a copy of (its title's index) and, for the appeals without a
    # point, the place its text names: a planted hotspot rightly takes in phone reports (no
    # point) naming its estate that its grid's reports are like, which the clustering joins to
    # the grid's hotspot of that place (``clustering._join_places``).
    titles = {title: i for i, (title, _d) in enumerate(variants)}
    message_of = array("i", bytes(4 * (n_appeals + PER_DAY // 24 + 64)))
    variant_of: dict[int, int] = {}  # a planted hotspot's first appeal → its message's variant
    named_place = {}  # appeal without a point → (the place block its text gives it, variant)
    t = time.monotonic()

    def write(chunk_rows: list[tuple], with_features: bool) -> None:
        a_buf, f_buf = io.StringIO(), io.StringIO()
        for pk, v, grid, created in chunk_rows:
            title, desc = variants[v]
            message_of[pk] = titles[title]
            if grid is None and feats[v][0].startswith("p:"):
                named_place[pk] = (feats[v][0], v)
            if grid is None:
                area = communities[pk % len(communities)].pk
                lat = lon = grid_id = None
            else:
                grid_id, area, (glat, glon) = grid
                lat = glat + ((pk * 7919) % 1000 / 1000 - 0.5) * CELL * 0.98
                lon = glon + ((pk * 104729) % 1000 / 1000 - 0.5) * CELL * 0.98
            a_buf.write(
                copy.line(
                    id=pk,
                    tracking_code=f"H{pk:012d}",
                    channel="phone",
                    reporter_name="来电人",
                    reporter_phone=f"1{pk:010d}",
                    title=title,
                    description=desc,
                    lat=lat,
                    lon=lon,
                    grid_id=grid_id,
                    area_id=area,
                    area_path=paths[area],
                    status="received",
                    created_at=created,
                    updated_at=created,
                )
            )
            if with_features:
                block, label, rank, terms, key = feats[v]
                if grid_id is not None:
                    block = f"g:{grid_id}"
                elif not block.startswith("p:"):
                    block = f"a:{area}"
                f_buf.write(
                    f"{pk}\t{_copy_escape(block)}\t{_copy_escape(label)}\t{rank}\t"
                    f"{_copy_escape(key)}\t{_copy_escape(terms)}\t{services.FEATURES_VERSION}\t"
                    f"{now.isoformat()}\n"
                )
        with raw.cursor() as cur:
            with cur.copy(copy.sql()) as cp:
                cp.write(a_buf.getvalue())
            if with_features:
                with cur.copy(
                    "COPY hotspots_appealfeatures (appeal_id, block, place_label, place_rank, "
                    "place_key, terms, version, computed_at) FROM STDIN"
                ) as cp:
                    cp.write(f_buf.getvalue())

    pk = 0
    batch: list[tuple] = []
    while pk < n_appeals:
        pk += 1
        if pk % 1000 == 0 and pk + 40 < n_appeals:
            # A planted hotspot: one text, one grid, 5-40 people, growing towards now.
            v = rng.randrange(len(variants))
            same = v + 1 < len(variants) and variants[v + 1][0] == variants[v][0]
            alt = v + 1 if same else v  # the same message, shorter
            grid = grids[rng.randrange(len(grids))]
            size = rng.randint(5, 40)
            members = []
            variant_of[pk] = v
            for _ in range(size):
                age = window * (rng.random() ** 2)  # more recent than earlier
                batch.append((pk, v if rng.random() < 0.5 else alt, grid, now - age))
                members.append(pk)
                pk += 1
            planted.append(members)
            pk -= 1
            continue
        v = rng.randrange(len(variants))
        grid = grids[rng.randrange(len(grids))] if rng.random() < 0.9 else None
        batch.append((pk, v, grid, now - window * rng.random()))
        if len(batch) >= 20_000:
            write(batch, True)
            batch = []
            if pk % 200_000 < 20_000:
                _log(f"{pk:,} appeals written ({time.monotonic() - t:.0f} s)")
    if batch:
        write(batch, True)
    with connection.cursor() as cur:
        cur.execute("SELECT setval('appeals_appeal_id_seq', %s)", [n_appeals + 10])
        cur.execute("ANALYZE appeals_appeal")
        cur.execute("ANALYZE hotspots_appealfeatures")
    timings["generate_s"] = round(time.monotonic() - t, 1)
    _log(f"{n_appeals:,} appeals and features written in {timings['generate_s']} s; the job…")

    # The job.
    t = time.monotonic()
    result = services.run(days=days)
    job_s = time.monotonic() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _log(f"job {job_s:.1f} s {result.seconds}, {result.hotspots:,} hotspots; the hourly run…")

    def alike(a: int, message: int, place: str, words: set[str]) -> bool:
        """Whether appeal ``a`` rightly belongs with a planted message: a report of it, or a
        phone report naming its place that shares two of its words."""
        if message_of[a] == message:
            return True
        block, v = named_place.get(a, ("-", 0))
        return block == place and len(words & set(feats[v][3].split())) >= 2

    def planted_found() -> tuple[int, dict[int, int]]:
        owner: dict[int, int] = {}
        held: dict[int, list[int]] = {}
        for hid, aid in HotspotMember.objects.filter(hotspot__window=result.window).values_list(
            "hotspot_id", "appeal_id"
        ):
            owner[aid] = hid
            held.setdefault(hid, []).append(aid)
        found = 0
        where: dict[int, int] = {}
        missed = {"in no hotspot": 0, "split": 0, "among other messages": 0}
        for i, members in enumerate(planted):
            counts: dict[int, int] = {}
            for a in members:
                if a in owner:
                    counts[owner[a]] = counts.get(owner[a], 0) + 1
            if not counts:
                missed["in no hotspot"] += 1
                continue
            hid, shared = max(counts.items(), key=lambda kv: kv[1])
            # Of the hotspot, the planted appeals, other reports of the same message and phone
            # reports naming the place the planted message names that share two of its words.
            message = message_of[members[0]]
            place = feats[variant_of[members[0]]][0]
            words = set(feats[variant_of[members[0]]][3].split())

            same = sum(1 for a in held[hid] if alike(a, message, place, words))
            if shared >= 0.8 * len(members) and same >= 0.8 * len(held[hid]):
                found += 1
                where[i] = hid
            else:
                missed["split" if shared < 0.8 * len(members) else "among other messages"] += 1
        _log(f"planted hotspots missed: {missed}")
        return found, where

    found, where = planted_found()

    # One hour of intake, then the hourly run.
    hour = PER_DAY // 24
    later = now + timedelta(hours=1)
    extra = []
    for i in range(hour):
        v = rng.randrange(len(variants))
        grid = grids[rng.randrange(len(grids))] if rng.random() < 0.9 else None
        extra.append((n_appeals + 11 + i, v, grid, now + timedelta(seconds=3600 * i / hour)))
    write(extra, False)
    from suqiu.core import clock

    t = time.monotonic()
    with clock.at(later):
        hourly = services.run(days=days)
    hourly_s = time.monotonic() - t
    found_after, where_after = planted_found()
    kept = sum(1 for i, hid in where.items() if where_after.get(i) == hid)
    return {
        "appeals": n_appeals,
        "grids": n_grids,
        "generate_s": timings["generate_s"],
        "job_s": round(job_s, 1),
        "load_s": result.seconds["load"],
        "cluster_s": result.seconds["cluster"],
        "store_s": result.seconds["store"],
        "features_s": result.seconds["features"],
        "hotspots": result.hotspots,
        "peak_mb": round(peak_mb),
        "hourly_s": round(hourly_s, 1),
        "hourly_seconds": hourly.seconds,
        "hourly_featurised": hourly.featurised,
        "hourly_created": hourly.created,
        "hourly_updated": hourly.updated,
        "segment_ms": round(segment_ms, 2),
        "planted": len(planted),
        "planted_found": f"{found}/{len(planted)}",
        "planted_found_n": found,
        "planted_found_after_hour": found_after,
        "planted_ids_kept": kept,
        "timings": timings,
        "texts": len(pool),
    }


def load_real(path: Path = VOTES_CSV) -> tuple[int, datetime, datetime]:
    """Closed imported appeals from the messages with votes (bench only: straight COPY)."""
    from django.db import connection
    from django.utils import timezone

    from suqiu.directory.models import Organisation, OrgKind

    area = Organisation.objects.create(code="A", name="A市", kind=OrgKind.DISTRICT)
    copy = AppealCopy()
    buf = io.StringIO()
    first = last = None
    n = 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            n += 1
            created = timezone.make_aware(parse_time(row["留言时间"]))
            first = created if first is None or created < first else first
            last = created if last is None or created > last else last
            buf.write(
                copy.line(
                    id=n,
                    tracking_code=f"R{n:012d}",
                    channel="import",
                    client_name="messages_with_votes",
                    external_source="gov-zh",
                    external_id=row["留言编号"].strip(),
                    reporter_name=row["留言用户"].strip()[:80],
                    title=_SPACE.sub(" ", row["留言主题"]).strip()[:120],
                    description=_SPACE.sub(" ", row["留言详情"]).strip()[:4000],
                    area_id=area.pk,
                    area_path=area.path,
                    status="closed",
                    support_votes=int(float(row["点赞数"] or 0)),
                    oppose_votes=int(float(row["反对数"] or 0)),
                    created_at=created,
                    updated_at=created,
                    closed_at=created,
                )
            )
    with connection.connection.cursor() as cur:
        with cur.copy(copy.sql()) as cp:
            cp.write(buf.getvalue())
    with connection.cursor() as cur:
        cur.execute("SELECT setval('appeals_appeal_id_seq', %s)", [n + 1])
    return n, first, last


def _phase_real(args) -> dict:
    _django()
    from django.core.management import call_command
    from django.utils import timezone

    from suqiu.hotspots import services
    from suqiu.hotspots.models import Hotspot, HotspotMember

    call_command("migrate", interactive=False, verbosity=0)
    n, first, last = load_real()
    days = (last - first).days + 2
    until = timezone.localtime(last).replace(tzinfo=None)
    t = time.monotonic()
    result = services.run(days=days, until=until, threshold=args.hot_threshold)
    job_s = time.monotonic() - t
    top = []
    for h in Hotspot.objects.filter(window=result.window).order_by("-heat")[: args.hot_top]:
        titles = list(
            HotspotMember.objects.filter(hotspot=h)
            .exclude(appeal_id=h.representative_id)
            .order_by("-similarity")
            .values_list("appeal__title", flat=True)[:4]
        )
        top.append(
            {
                "heat": h.heat,
                "size": h.size,
                "reporters": h.reporters,
                "votes": h.votes,
                "place": h.place_label,
                "title": h.display_title,
                "terms": h.terms,
                "first": h.first_seen.date().isoformat(),
                "last": h.last_seen.date().isoformat(),
                "members": titles,
            }
        )
    return {
        "messages": n,
        "window": result.window,
        "hotspots": result.hotspots,
        "job_s": round(job_s, 2),
        "seconds": result.seconds,
        "top": top,
    }


# --- Parent process --------------------------------------------------------------------------


def _reset_postgres() -> str:
    return intake.reset_database(PG_BENCH_DB)


def _drop_postgres() -> None:
    intake.drop_database(PG_BENCH_DB)


def _child(phase: str, env: dict, argv: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--hot-phase", phase, *argv],
        env=env,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"hotspots {phase} phase failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hot-sizes",
        default="1500000",
        help="comma list of window sizes in appeals (1500000: a megacity's month, 50,000 a day "
        "for 30 days; about 6 minutes on 2 cores)",
    )
    parser.add_argument("--hot-grids", type=int, default=5000, help="grids (5000)")
    parser.add_argument("--hot-days", type=int, default=30, help="window in days (30)")
    parser.add_argument("--hot-seed", type=int, default=20261124)
    parser.add_argument(
        "--hot-real",
        action="store_true",
        help="only the real-data top 10 (messages_with_votes.csv), no scale run",
    )
    parser.add_argument("--hot-no-real", action="store_true", help="skip the real-data top 10")
    parser.add_argument("--hot-top", type=int, default=10, help="hotspots printed (10)")
    parser.add_argument("--hot-threshold", type=float, default=None, help="cosine threshold")
    parser.add_argument("--hot-keep", action="store_true", help="keep the bench database")


def _passthrough(args: argparse.Namespace, **override) -> list[str]:
    out = []
    for name in ("hot_grids", "hot_days", "hot_seed", "hot_top", "hot_threshold"):
        value = override.get(name, getattr(args, name))
        if value is not None:
            out += [f"--{name.replace('_', '-')}", str(value)]
    if "hot_appeals" in override:
        out += ["--hot-appeals", str(override["hot_appeals"])]
    return out


def format_top(real: dict) -> list[str]:
    lines = [
        f"real data: {real['messages']:,} messages with votes, window {real['window']}, "
        f"{real['hotspots']} hotspots in {real['job_s']} s; top {len(real['top'])}:"
    ]
    for rank, h in enumerate(real["top"], 1):
        lines.append(
            f"{rank:>2}. heat {h['heat']:.1f} | {h['size']} appeals, {h['reporters']} reporters, "
            f"{h['votes']} votes | {h['first']}…{h['last']} | [{h['place'] or '-'}] {h['title']}"
        )
        for m in h["members"]:
            lines.append(f"      · {m}")
    return lines


def run(args: argparse.Namespace) -> dict:
    """Run the benchmark; returns {"columns", "rows", "runs", "checks", "notes"}."""
    from intake import child_env, postgres_available

    rows, runs, notes, checks = [], [], [], []
    why = postgres_available()
    if why:
        notes.append(f"skipped: no PostgreSQL at {PG_ADMIN_URL} ({why})")
        return {"columns": COLUMNS, "rows": rows, "runs": runs, "checks": checks, "notes": notes}
    with tempfile.TemporaryDirectory(prefix="suqiu-bench-hot-") as tmp:
        env = child_env(Path(tmp))
        try:
            if not args.hot_real:
                for size in [int(s) for s in args.hot_sizes.split(",") if s.strip()]:
                    print(
                        f"  hotspots: {size:,} appeals over {args.hot_grids:,} grids…", flush=True
                    )
                    env["DATABASE_URL"] = _reset_postgres()
                    row = _child("scale", env, _passthrough(args, hot_appeals=size))
                    rows.append(row)
                    runs.append(row)
                    checks.append(
                        (
                            f"{size:,}: planted hotspots found {row['planted_found']}",
                            row["planted_found_n"] >= 0.95 * row["planted"],
                            "correctness",
                        )
                    )
                    checks.append(
                        (
                            f"{size:,}: hourly re-run keeps the planted hotspots' ids "
                            f"({row['planted_ids_kept']}/{row['planted_found_n']})",
                            row["planted_ids_kept"] >= 0.95 * row["planted_found_n"],
                            "correctness",
                        )
                    )
                    notes.append(
                        f"{size:,}: job parts {row['load_s']} s load, {row['cluster_s']} s "
                        f"cluster, {row['store_s']} s store; hourly run {row['hourly_s']} s "
                        f"({row['hourly_featurised']} new appeals segmented, parts "
                        f"{row['hourly_seconds']}); segmenting costs {row['segment_ms']} ms an "
                        f"appeal ({row['segment_ms'] * PER_DAY / 1000:.0f} s of CPU a day at "
                        f"{PER_DAY:,} a day)"
                    )
                    if size >= PER_DAY * args.hot_days:
                        checks.append(
                            (
                                f"{size:,}: the job takes under an hour (the worker runs it hourly)",
                                row["job_s"] < 3600,
                                "target",
                            )
                        )
            if not args.hot_no_real and VOTES_CSV.exists():
                print("  hotspots: the real messages with votes…", flush=True)
                env["DATABASE_URL"] = _reset_postgres()
                real = _child("real", env, _passthrough(args))
                runs.append({"real": real})
                notes.extend(format_top(real))
                checks.append(
                    (
                        f"real data: {len(real['top'])} hotspots in the top, each with a place",
                        len(real["top"]) == args.hot_top and all(h["place"] for h in real["top"]),
                        "correctness",
                    )
                )
            elif not args.hot_no_real:
                notes.append(f"real data skipped: {VOTES_CSV} is not there")
        finally:
            if not args.hot_keep:
                _drop_postgres()
    return {"columns": COLUMNS, "rows": rows, "runs": runs, "checks": checks, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hot-phase", choices=["scale", "real"], help=argparse.SUPPRESS)
    parser.add_argument("--hot-appeals", type=int, default=0, help=argparse.SUPPRESS)
    add_arguments(parser)
    args, _rest = parser.parse_known_args(argv)  # bench/run.py's own options pass through
    if args.hot_phase == "scale":
        print(json.dumps(_phase_scale(args), default=str))
        return 0
    if args.hot_phase == "real":
        print(json.dumps(_phase_real(args), default=str, ensure_ascii=False))
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run as runner

    return runner.main(["--only", "hotspots", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    sys.exit(main())
