"""Run Suqiu's benchmarks and print one table (``make bench``).

Each benchmark is a module in this folder with ``add_arguments(parser)`` and ``run(args)``;
``run`` returns its table columns, one row per case, the individual runs and its target checks.
Results are also written as JSON under ``bench/results/`` (gitignored).

    .venv/bin/python bench/run.py                       # everything, default options
    .venv/bin/python bench/run.py --backend sqlite --seconds 10
    .venv/bin/python bench/run.py --repeat 3            # median of three runs per case

Exit status: 1 when a correctness check fails (an error answer, or a 201 without its row);
a missed throughput or latency target is printed as MISS but exits 0, since it depends on the
machine (``--strict`` makes it exit 1 too).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
# In the order ``make bench`` runs them; a name whose module is not there yet is left out.
BENCHMARKS = [
    name
    for name in (
        "intake",
        "open311",
        "imports",
        "duplicates",
        "hotspots",
        "triage",
        "sweep",
        "rates",
        "workbench",
    )
    if (BENCH_DIR / f"{name}.py").exists()
]


def _fmt(value) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "NO"
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def format_table(columns: list[tuple[str, str]], rows: list[dict]) -> str:
    cells = [[_fmt(row.get(key)) for _title, key in columns] for row in rows]
    widths = [
        max([len(title), *(len(r[i]) for r in cells)]) for i, (title, _key) in enumerate(columns)
    ]
    lines = [" | ".join(title.ljust(w) for (title, _k), w in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for r in cells:
        lines.append(
            " | ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(lines)


def _machine() -> dict:
    import os

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        info["commit"] = rev.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Suqiu's benchmarks and print a table.")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, help="run only this benchmark"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    modules = {name: importlib.import_module(name) for name in BENCHMARKS}
    for module in modules.values():
        module.add_arguments(parser)
    args = parser.parse_args(argv)

    started = time.strftime("%Y%m%d-%H%M%S")
    failed_correctness = missed_target = False
    for name in args.only or BENCHMARKS:
        print(f"\n{name}: {modules[name].__doc__.strip().splitlines()[0]}", flush=True)
        result = modules[name].run(args)
        print()
        if result["rows"]:
            print(format_table(result["columns"], result["rows"]))
        for note in result["notes"]:
            print(f"  note: {note}")
        for text, ok, kind in result["checks"]:
            print(f"  {'ok  ' if ok else 'MISS'} {text}")
            if not ok:
                if kind == "target":
                    missed_target = True
                else:
                    failed_correctness = True
        if not args.no_json:
            RESULTS_DIR.mkdir(exist_ok=True)
            out = RESULTS_DIR / f"{name}-{started}.json"
            out.write_text(
                json.dumps(
                    {
                        "benchmark": name,
                        "started": started,
                        "argv": sys.argv[1:] if argv is None else argv,
                        "machine": _machine(),
                        "table": result["rows"],
                        "runs": result["runs"],
                        "checks": result["checks"],
                        "notes": result["notes"],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
            print(f"  results: {out.relative_to(BENCH_DIR.parent)}")
    if failed_correctness:
        return 1
    if missed_target and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR))
    sys.exit(main())
