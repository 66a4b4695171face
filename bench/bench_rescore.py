"""Scoring every lead again after the rules change, beside importing as many rows.

Usage: python bench/bench_rescore.py [--leads 1000000] [--db PATH]

Copies the queue benchmark's database (seeded by bench_queue.py's `seed` when missing),
changes one point in the rules (a web form is worth one point more), and scores every lead
again in a thread, as the app does, while the main thread keeps reading queue pages as a
rep scrolling would. In the same run, imports a CSV file of as many rows into a fresh
database with `triage import`'s code (bench_import.py's file and measure). Prints leads
scored per second, rows imported per second and their ratio (target: the rescore at no
less than half the import's rate), and the median and worst time of a queue page read
meanwhile against the same read with nothing running.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def page_reads(service, seconds: float | None = None, stop: threading.Event | None = None) -> list[float]:
    from triage.domain.queue import QueueView

    times = []
    end = time.perf_counter() + (seconds or 1e9)
    while time.perf_counter() < end and not (stop and stop.is_set()):
        started = time.perf_counter()
        service.decisions.queue_page(QueueView.POOL, limit=100)
        times.append(time.perf_counter() - started)
        time.sleep(0.05)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench.db")
    args = parser.parse_args()

    from bench_import import triage_rate, write_csv
    from bench_queue import seed, team_lead
    from storage import LeadRepository, open_database
    from triage.domain.models import Channel
    from triage.domain.rules import default_rules
    from triage.services import Services

    seed(args.db, args.leads)
    source = args.db.with_name(f"{args.db.stem}-import-{args.leads}.csv")
    write_csv(source, args.leads)
    with tempfile.TemporaryDirectory(dir=args.db.parent) as folder:
        imported, line = triage_rate(source, Path(folder))
    print(f"imported {args.leads:,} rows into a fresh database: {imported:,.0f} rows/s ({line})")

    copy = args.db.with_name(f"{args.db.stem}-rescore.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(args.db, copy)
    rules = default_rules()
    channel = {**rules.points.channel, Channel.WEB_FORM: rules.points.channel.get(Channel.WEB_FORM, 0) + 1}
    rules = rules.model_copy(update={"version": "bench", "points": rules.points.model_copy(update={"channel": channel})})
    repo = LeadRepository(open_database(f"sqlite:///{copy}"))
    scorer = Services.open(repo, team_lead(repo), rules=rules)
    reader = Services.open(LeadRepository(open_database(f"sqlite:///{copy}")), "rep")

    quiet = page_reads(reader, seconds=2)
    done = threading.Event()
    result = {}

    def work() -> None:
        started = time.perf_counter()
        result["count"] = scorer.scoring.rescore()
        result["seconds"] = time.perf_counter() - started
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    busy = page_reads(reader, stop=done)
    thread.join()
    rescored = result["count"] / result["seconds"]
    print(f"rescored {result['count']:,} leads in {result['seconds']:.1f} s: {rescored:,.0f} leads/s")
    print(f"ratio rescore / import: {rescored / imported:.2f} (target at least 0.5)")
    print(f"queue page read, nothing running: median {statistics.median(quiet) * 1000:.1f} ms, "
          f"worst {max(quiet) * 1000:.1f} ms ({len(quiet)} reads)")
    print(f"queue page read while rescoring: median {statistics.median(busy) * 1000:.1f} ms, "
          f"worst {max(busy) * 1000:.1f} ms ({len(busy)} reads)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
