"""Import of history: rows per second of ``suqiu import appeals`` for 100,000 rows, SQLite and PostgreSQL.

1. A CSV in the message-board export's format (the ``gov-zh`` preset: 留言编号, 留言用户,
   留言主题, 留言时间, 留言详情, 一级标签, 答复意见, 答复时间, 点赞数, 反对数) with
   ``--import-rows`` (100,000) rows, generated into a temporary folder by recombining the real
   titles, texts, user ids, labels and replies of ``appeals-zh/`` (never committed): each row
   takes a random title, text, label and user; six in ten get a real reply a few days later;
   the times mix the export's formats (``2019/1/5 10:21:44``, ``2019-01-05 10:21:44``,
   ``2019-01-05T10:21:44.000``); one row in 1,000 has an unreadable date (it must be reported,
   not imported). The data folder is ``SUQIU_SHARED_DATA`` or the first ``shared/data`` found
   above the checkout; without it the benchmark is skipped with a note.
2. Per backend, a fresh database (PostgreSQL: ``suqiu_bench_imports`` dropped and created on
   the server at ``SUQIU_BENCH_POSTGRES_URL``; SQLite: a new file in a temporary
   ``SUQIU_DATA_DIR``), ``migrate`` and a district, in a child process.
3. In another child process, ``importer.import_appeals`` on the file (what the command runs,
   no progress bar): the measured import. Then the checks: every good row is an appeal,
   closed, with its two events; every bad row is in the error report.
4. The same file again: the re-import must create nothing (all already present), and its rate
   (the id look-ups alone) is shown too.
5. On SQLite, the same rows once more as an XLSX workbook whose texts are in its shared-string
   table, a distinct detail per row (``to_xlsx``): its max RSS shows that the table is not held
   in memory.

Run it through ``bench/run.py`` (``make bench``) or alone:
``.venv/bin/python bench/imports.py --backend sqlite --import-rows 20000``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intake  # noqa: E402 - shared helpers (child environment, PostgreSQL availability)

PROJECT_DIR = intake.PROJECT_DIR
PG_ADMIN_URL = intake.PG_ADMIN_URL
PG_BENCH_DB = os.environ.get("SUQIU_BENCH_IMPORTS_DB", "suqiu_bench_imports")
HEADER = [
    "留言编号", "留言用户", "留言主题", "留言时间", "留言详情",
    "一级标签", "答复意见", "答复时间", "点赞数", "反对数",
]  # fmt: skip
BAD_EVERY = 1000

COLUMNS = [
    ("backend", "backend"),
    ("rows", "rows"),
    ("created", "created"),
    ("failed", "failed"),
    ("seconds", "seconds"),
    ("rows/s", "rows_per_s"),
    ("CPU ms/row", "cpu_ms_per_row"),
    ("re-import s", "reimport_seconds"),
    ("re-import rows/s", "reimport_rows_per_s"),
    ("max RSS MB", "max_rss_mb"),
    ("rows ok", "rows_ok"),
]


def shared_data() -> Path | None:
    configured = os.environ.get("SUQIU_SHARED_DATA")
    candidates = [Path(configured)] if configured else []
    candidates += [p / "shared" / "data" for p in PROJECT_DIR.parents]
    for folder in candidates:
        if (folder / "appeals-zh" / "messages_with_replies.csv").exists():
            return folder
    return None


# --- The generated file -----------------------------------------------------------------------


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def generate(data: Path, out: Path, rows: int, seed: int = 11) -> dict:
    """Write ``rows`` recombined rows to ``out``; returns how many are good and bad."""
    zh = data / "appeals-zh"
    texts: list[dict] = []
    for name in ("messages_with_votes.csv", "messages_unlabeled.csv", "labeled_dev.csv"):
        texts += [r for r in _read(zh / name) if r.get("留言主题") and r.get("留言详情")]
    replies = [r["答复意见"] for r in _read(zh / "messages_with_replies.csv") if r["答复意见"]]
    texts += _read(zh / "messages_with_replies.csv")
    labels = sorted({r["一级标签"] for r in _read(zh / "labeled_dev.csv") if r["一级标签"]})
    users = [r["留言用户"] for r in texts if r.get("留言用户")]
    rng = random.Random(seed)
    start = datetime(2010, 1, 1)
    span = int((datetime(2020, 6, 1) - start).total_seconds())
    formats = ["%Y/{m}/{d} {H}:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.000"]

    def when(t: datetime) -> str:
        fmt = rng.choice(formats)
        return t.strftime(fmt).format(m=t.month, d=t.day, H=t.hour)

    bad = 0
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            src = rng.choice(texts)
            created = start + timedelta(seconds=rng.randrange(span))
            reply, replied = "", ""
            if rng.random() < 0.6:
                reply = rng.choice(replies)
                replied = when(created + timedelta(minutes=rng.randrange(60, 30 * 24 * 60)))
            stamp = when(created)
            if i % BAD_EVERY == BAD_EVERY - 1:
                stamp, bad = "2019/13/45 25:61", bad + 1
            writer.writerow(
                [
                    f"B{i + 1}",
                    rng.choice(users),
                    src["留言主题"],
                    stamp,
                    src["留言详情"],
                    rng.choice(labels),
                    reply,
                    replied,
                    rng.randrange(0, 50),
                    rng.randrange(0, 5),
                ]
            )
    return {"rows": rows, "good": rows - bad, "bad": bad, "bytes": out.stat().st_size}


def to_xlsx(csv_path: Path, out: Path) -> dict:
    """The generated rows as Excel writes a workbook: every text in the shared-string table
    (``xl/sharedStrings.xml``), each distinct text once, cells naming them by number; the votes
    as numbers. Each row's detail gets its id appended, so that the table holds a distinct text
    per row as a real export does (the CSV's details repeat: they are recombined). Written
    straight into the zip, row by row (openpyxl writes its texts inline)."""
    import zipfile
    from xml.sax.saxutils import escape

    def column(i: int) -> str:
        return chr(ord("A") + i)

    strings: dict[str, int] = {}
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    numeric = {HEADER.index("点赞数"), HEADER.index("反对数")}
    detail = HEADER.index("留言详情")
    rows = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        with (
            open(csv_path, encoding="utf-8", newline="") as f,
            z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet,
        ):
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'.encode()
            )
            sheet.write(b"<sheetData>")
            for n, record in enumerate(csv.reader(f), start=1):
                if n > 1:
                    record[detail] = f"{record[detail]}（{record[0]}）"
                cells = []
                for i, value in enumerate(record):
                    ref = f"{column(i)}{n}"
                    if n > 1 and i in numeric:
                        cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                    elif value:
                        number = strings.setdefault(value, len(strings))
                        cells.append(f'<c r="{ref}" t="s"><v>{number}</v></c>')
                sheet.write(f'<row r="{n}">{"".join(cells)}</row>'.encode())
                rows = n - 1
            sheet.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}">'.encode())
            for text in strings:
                table.write(f'<si><t xml:space="preserve">{escape(text)}</t></si>'.encode())
            table.write(b"</sst>")
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{kind}.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            f'sheet1.xml" ContentType="{kind}.worksheet+xml"/><Override PartName="/xl/'
            f'sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="留言" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
            f'{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        shared_bytes = z.getinfo("xl/sharedStrings.xml").file_size
    return {"rows": rows, "strings": len(strings), "shared_strings_bytes": shared_bytes}


# --- Child-process phases (Django imported here only) -----------------------------------------


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()


def _phase_setup() -> dict:
    _django()
    from django.core.management import call_command
    from django.db import connection

    from suqiu.directory.models import Organisation, OrgKind

    call_command("migrate", interactive=False, verbosity=0)
    Organisation.objects.create(code="B-D", name="基准区", kind=OrgKind.DISTRICT)
    return {"vendor": connection.vendor}


def _phase_import(path: str, errors: str, batch_size: int, expect_good: int) -> dict:
    import resource

    _django()
    from django.db import connection
    from django.db.models import Count

    from suqiu.appeals.models import Appeal, AppealEvent
    from suqiu.appeals.workflow import Status
    from suqiu.imports.importer import import_appeals

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = time.process_time()
    summary = import_appeals(path, errors_path=errors, batch_size=batch_size, progress=False)
    cpu = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    appeals = Appeal.objects.count()
    events = AppealEvent.objects.count()
    closed = Appeal.objects.filter(status=Status.CLOSED).count()
    uneven = (
        Appeal.objects.annotate(n=Count("events")).exclude(n=2).count()
        if appeals <= 200_000
        else None
    )
    with open(errors, encoding="utf-8-sig") as f:
        reported = max(0, sum(1 for _ in f) - 1)
    return {
        "vendor": connection.vendor,
        "rows_read": summary.rows_read,
        "created": summary.created,
        "already_present": summary.already_present,
        "failed": summary.failed,
        "reported": reported,
        "seconds": round(summary.seconds, 2),
        "rows_per_s": round(summary.rows_per_s, 1),
        "cpu_s": round(cpu, 2),
        "appeals": appeals,
        "events": events,
        "closed": closed,
        "appeals_without_two_events": uneven,
        "expect_good": expect_good,
        "max_rss_mb": round(rss / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
    }


def _children_cpu() -> float:
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _child(phase: str, env: dict, *args: str) -> dict:
    return intake.run_phase(__file__, phase, env, *args)


def _reset_postgres() -> str:
    return intake.reset_database(PG_BENCH_DB)


def _drop_postgres() -> None:
    intake.drop_database(PG_BENCH_DB)


def run_backend(
    backend: str, csv_path: Path, made: dict, *, batch_size: int, keep: bool, label: str = ""
) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"suqiu-bench-imports-{backend}-"))
    env = intake.child_env(data_dir)
    if backend == "postgres":
        env["DATABASE_URL"] = _reset_postgres()
    try:
        _child("setup", env)
        args = [str(csv_path), "--batch", str(batch_size), "--good", str(made["good"])]
        before, t0, kids0 = intake._proc_stats(), time.perf_counter(), _children_cpu()
        first = _child("import", env, *args, "--errors", str(data_dir / "errors-1.csv"))
        cpu = intake._cpu_by_group(before, intake._proc_stats(), server_pid=-1)
        window, child_cpu = time.perf_counter() - t0, _children_cpu() - kids0
        again = _child("import", env, *args, "--errors", str(data_dir / "errors-2.csv"))
    finally:
        if backend == "postgres" and not keep:
            _drop_postgres()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    good, bad = made["good"], made["bad"]
    # CPU of the import itself and of PostgreSQL's backends for the bench database; "other" is
    # everything else the machine ran while the import process lived (that process, counted in
    # the machine's total, taken out), as cores busy on average.
    pg_cpu = cpu.get("postgres", 0.0) if backend == "postgres" else 0.0
    other = max(0.0, cpu["other"] - child_cpu) / window
    ok = (
        first["rows_read"] == made["rows"]
        and first["created"] == good
        and first["failed"] == bad == first["reported"]
        and first["appeals"] == good == first["closed"]
        and first["events"] == 2 * good
        and first["appeals_without_two_events"] in (0, None)
        and again["created"] == 0
        and again["already_present"] == good
        and again["appeals"] == good
        and again["events"] == 2 * good
    )
    return {
        "backend": label or backend,
        "rows": made["rows"],
        "created": first["created"],
        "failed": first["failed"],
        "seconds": first["seconds"],
        "rows_per_s": first["rows_per_s"],
        "reimport_seconds": again["seconds"],
        "reimport_rows_per_s": again["rows_per_s"],
        "cpu_ms_per_row": round(1000 * (first["cpu_s"] + pg_cpu) / made["rows"], 3),
        "max_rss_mb": first["max_rss_mb"],
        "rows_ok": ok,
        "details": {
            "first": first,
            "again": again,
            "file": made,
            "batch_size": batch_size,
            "cpu_seconds": {"import": first["cpu_s"], "postgres": round(pg_cpu, 2)},
            "other_cpu_cores": round(other, 2),
        },
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this benchmark; ``--backend`` and ``--keep`` are intake's (shared)."""
    parser.add_argument(
        "--import-rows", type=int, default=100_000, help="rows in the generated file (100000)"
    )
    parser.add_argument(
        "--import-batch-size", type=int, default=1000, help="rows per transaction (1000)"
    )


def run(args: argparse.Namespace) -> dict:
    """Run the benchmark; returns {"columns", "rows", "runs", "checks", "notes"}."""
    notes: list[str] = []
    data = shared_data()
    if data is None:
        notes.append("skipped: no shared data folder (set SUQIU_SHARED_DATA to the data/ folder)")
        return {"columns": COLUMNS, "rows": [], "runs": [], "checks": [], "notes": notes}
    backend_arg = getattr(args, "backend", "both")
    backends = ["postgres", "sqlite"] if backend_arg == "both" else [backend_arg]
    work = Path(tempfile.mkdtemp(prefix="suqiu-bench-imports-file-"))
    rows = []
    try:
        csv_path = work / "messages.csv"
        t0 = time.perf_counter()
        # The files are written by child processes: a process started from one that has held
        # the texts would report that process's peak as its own max RSS (Linux keeps it across
        # fork and exec).
        made = _child("generate", dict(os.environ), str(data), str(csv_path), str(args.import_rows))
        notes.append(
            f"file: {made['rows']} rows ({made['bad']} with a bad date), "
            f"{made['bytes'] / 1e6:.1f} MB, generated in {time.perf_counter() - t0:.1f} s"
        )
        for backend in backends:
            if backend == "postgres":
                why = intake.postgres_available()
                if why:
                    notes.append(f"postgres skipped: no PostgreSQL at {PG_ADMIN_URL} ({why})")
                    continue
            print(f"  imports: {backend}, {made['rows']} rows…", flush=True)
            rows.append(
                run_backend(
                    backend,
                    csv_path,
                    made,
                    batch_size=args.import_batch_size,
                    keep=getattr(args, "keep", False),
                )
            )
        if "sqlite" in backends:
            xlsx_path = work / "messages.xlsx"
            t0 = time.perf_counter()
            book = _child("xlsx", dict(os.environ), str(csv_path), str(xlsx_path))
            notes.append(
                f"sqlite xlsx: the same rows as a workbook, {xlsx_path.stat().st_size / 1e6:.1f} "
                f"MB, {book['strings']} distinct texts in its shared-string table "
                f"({book['shared_strings_bytes'] / 1e6:.1f} MB of XML), written in "
                f"{time.perf_counter() - t0:.1f} s"
            )
            print(f"  imports: sqlite, {made['rows']} rows as XLSX…", flush=True)
            rows.append(
                run_backend(
                    "sqlite",
                    xlsx_path,
                    made,
                    batch_size=args.import_batch_size,
                    keep=getattr(args, "keep", False),
                    label="sqlite xlsx",
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for r in rows:
        per_row = r["cpu_ms_per_row"]
        notes.append(
            f"{r['backend']}: CPU per row {per_row:.3f} ms (import process"
            + (" + PostgreSQL" if r["backend"] == "postgres" else "")
            + f"), i.e. about {1000 / per_row:.0f} rows/s on one idle core; other processes "
            f"kept {r['details']['other_cpu_cores']:.2f} of {os.cpu_count()} cores busy"
        )
    checks = [
        (
            f"{r['backend']}: every good row imported closed with 2 events, every bad row "
            "reported, re-import creates nothing",
            bool(r["rows_ok"]),
            "correctness",
        )
        for r in rows
    ]
    return {"columns": COLUMNS, "rows": rows, "runs": rows, "checks": checks, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--phase" in argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--phase", choices=["setup", "import", "generate", "xlsx"])
        parser.add_argument("path", nargs="?")
        parser.add_argument("more", nargs="*")
        parser.add_argument("--errors")
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--good", type=int, default=0)
        args = parser.parse_args(argv)
        if args.phase == "setup":
            print(json.dumps(_phase_setup()))
        elif args.phase == "generate":
            out, rows = args.more
            print(json.dumps(generate(Path(args.path), Path(out), int(rows))))
        elif args.phase == "xlsx":
            print(json.dumps(to_xlsx(Path(args.path), Path(args.more[0]))))
        else:
            print(json.dumps(_phase_import(args.path, args.errors, args.batch, args.good)))
        return 0
    import run as runner

    return runner.main(["--only", "imports", *argv])


if __name__ == "__main__":
    sys.exit(main())
