"""The throughput of the commands outside the screens at a million leads: `triage seed`,
`triage export leads` (CSV, JSON, XLSX), `triage assign` (its dry run, and the real one on a
copy of the database) and `triage sla`.

Usage: python bench/bench_throughput.py [--leads 1000000] [--db PATH] [--fresh] [--only NAME ...]
       [--formats csv json xlsx]

Seeds PATH (default: a file in the temp folder, reused when it holds the asked-for number of
leads; with `--fresh` seeded again and `triage seed` timed), then runs each command in a
fresh process and prints its wall seconds, its CPU seconds (user + system, which a busy
machine inflates less than the wall clock; its child processes' too, such as the export's
two readers), the rate on both clocks and peak memory (max RSS; the largest child's
apart). Each export is run twice: the whole database and the leads created up to the
tenth of its days, so that memory flat in the number of rows shows as the same peak. Beside them a
bare loop that fetches the rows with sqlite3 and writes them with `csv` untouched.

Targets at a million leads: exports at least 100,000 rows/s with flat memory, assignment at
least 50,000 leads/s, `triage sla` under 2 s, `triage seed` under 60 s.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r'''
import resource, sys, time
from triage.cli.main import main
started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1], "w", encoding="utf-8") as out:
    code = main(sys.argv[2:], out)
helpers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the export's reader processes
print(time.perf_counter() - started, time.process_time() - cpu + helpers.ru_utime + helpers.ru_stime,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, helpers.ru_maxrss / 1024, code)
'''

BARE_EXPORT = r'''
import csv, resource, sqlite3, sys, time
started, cpu = time.perf_counter(), time.process_time()
rows = 0
with open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as stream:
    writer = csv.writer(stream)
    for row in sqlite3.connect(sys.argv[1]).execute('SELECT * FROM "lead" ORDER BY "id"'):
        writer.writerow(row)
        rows += 1
print(time.perf_counter() - started, time.process_time() - cpu,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rows)
'''


def seed(path: Path, leads: int, fresh: bool) -> tuple[float, float] | None:
    """Seeds `path` unless it holds `leads` leads already: wall and CPU seconds of `triage
    seed` (its worker processes' CPU counted)."""
    if path.exists() and not fresh:
        with sqlite3.connect(path) as db:
            if db.execute('SELECT count(*) FROM "lead"').fetchone()[0] == leads:
                return None
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "triage.cli", "--db", f"sqlite:///{path}", "seed",
                              "--leads", str(leads), "--reps", "8", "--seed", "1"], cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit("triage seed failed")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def run(db: Path, *args: str, output: str = os.devnull) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds (both from the command's start, inside its process, with
    its child processes' CPU), peak MB of one triage command and of its largest child."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, output, "--db", f"sqlite:///{db}", "--as", getpass.getuser(), *args],
        capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"triage {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    wall, cpu, peak, child_peak, _ = done.stdout.split()
    return float(wall), float(cpu), float(peak), float(child_peak)


def line(label: str, count: int, unit: str, wall: float, cpu: float, peak: float, child_peak: float = 0.0) -> str:
    children = f" (+ {child_peak:.0f} MB each child)" if child_peak else ""
    return (f"{label:44} {wall:>8.2f} s {cpu:>8.2f} CPU-s {count / wall:>10,.0f} {unit}/s "
            f"{count / cpu:>10,.0f} {unit}/CPU-s {peak:>6.0f} MB{children}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench-throughput.db")
    parser.add_argument("--fresh", action="store_true", help="seed the database again, timing `triage seed`")
    parser.add_argument("--only", nargs="*", choices=["export", "assign", "sla"], default=None)
    parser.add_argument("--formats", nargs="*", choices=["csv", "json", "xlsx"], default=["csv", "json", "xlsx"],
                        help="the export formats to time (XLSX of a million leads takes minutes)")
    args = parser.parse_args()
    only = set(args.only or ["export", "assign", "sla"])
    seeded = seed(args.db, args.leads, args.fresh)
    print("command: python " + " ".join(sys.argv))
    print(f"{args.leads:,} leads in {args.db}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'':44} {'wall':>10} {'CPU':>14}")
    if seeded is not None:
        wall, cpu = seeded
        print(f"{'triage seed --leads ' + str(args.leads):44} {wall:>8.2f} s {cpu:>8.2f} CPU-s "
              f"{args.leads / wall:>10,.0f} leads/s (CPU counts its worker processes)")
    with sqlite3.connect(args.db) as db:
        first, last = (datetime.fromisoformat(text) for text in
                       db.execute('SELECT min("created_at"), max("created_at") FROM "lead"').fetchone())
        tenth_day = (first + (last - first) / 10).date()
        tenth = db.execute('SELECT count(*) FROM "lead" WHERE "created_at" < ?',
                           [str(tenth_day + timedelta(days=1))]).fetchone()[0]
    with tempfile.TemporaryDirectory() as folder:
        if "export" in only:
            done = subprocess.run([sys.executable, "-c", BARE_EXPORT, str(args.db), f"{folder}/bare.csv"],
                                  capture_output=True, text=True, check=True)
            wall, cpu, peak, rows = done.stdout.split()
            print(line("bare sqlite3 fetch + csv.writer", int(rows), "rows", float(wall), float(cpu), float(peak)))
            for fmt in args.formats:
                print(line(f"triage export leads --format {fmt}", args.leads, "rows",
                           *run(args.db, "export", "leads", "-o", f"{folder}/leads.{fmt}")))
                print(line(f"  the same --until {tenth_day} ({tenth:,} rows)", tenth, "rows",
                           *run(args.db, "export", "leads", "--until", str(tenth_day), "-o", f"{folder}/tenth.{fmt}")))
    if "assign" in only:
        with sqlite3.connect(args.db) as db:
            pool = db.execute('SELECT count(*) FROM "lead" WHERE "stage" = \'mql\' AND "owner" IS NULL').fetchone()[0]
        print(line("triage assign --dry-run", pool, "leads", *run(args.db, "assign", "--dry-run")))
        with tempfile.TemporaryDirectory(dir=args.db.parent) as folder:  # the real one on a copy: the pool stays
            copy = Path(folder) / "assigned.db"
            with sqlite3.connect(args.db) as source, sqlite3.connect(copy) as target:
                source.backup(target)
            os.sync()  # the copy written out first, not while the assignment writes
            print(line("triage assign (on a copy)", pool, "leads", *run(copy, "assign")))
    if "sla" in only:
        wall, cpu, peak, _ = run(args.db, "sla")
        print(f"{'triage sla':44} {wall:>8.2f} s {cpu:>8.2f} CPU-s {'':>33} {peak:>6.0f} MB")


if __name__ == "__main__":
    main()
