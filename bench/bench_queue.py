"""How the rep's queue behaves with a million leads, beside a bare Textual app.

Usage: python bench/bench_queue.py [--leads 1000000] [--db PATH] [--runs 3]

Seeds PATH (default: a file in the temp folder, reused when it already holds the
asked-for number of leads), then starts each app in a fresh process and prints, for
the triage app and for a bare Textual app with one DataTable and a Footer:

- seconds from process start to the first rendered queue,
- CPU milliseconds per cursor move and per page-down (median and worst),
- seconds to filter the queue by a text,
- peak memory (max RSS) of the process.

Targets at a million leads: first queue within 0.3 s of the bare app, cursor move and
page-down under 16 ms median, filter under 0.5 s, peak memory under 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOVES = 60
FILTER_TEXT = "zzzz-no-such-lead"


def seed(path: Path, leads: int) -> None:
    from storage import LeadRepository, open_database

    if path.exists():
        repo = LeadRepository(open_database(f"sqlite:///{path}"))
        if repo.count_leads() == leads:
            rescore(repo)
            return
        repo.db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "triage.cli", "--db", f"sqlite:///{path}", "seed",
         "--leads", str(leads), "--reps", "8", "--seed", "1"],
        check=True, cwd=ROOT,
    )
    print(f"seeded {leads:,} leads in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def rescore(repo) -> None:
    """Leads from an older schema or other rules are scored first, so that the app does
    not score them in the background while it is measured."""
    from triage.services import Services

    started = time.perf_counter()
    done = Services.open(repo, team_lead(repo)).scoring.rescore()
    if done:
        print(f"scored {done:,} leads in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def team_lead(repo) -> str:
    """The seeded team's lead, who may score the team's leads again."""
    from triage.domain.models import Role

    return next((member.login for member in repo.team() if member.role is Role.LEAD), "bench")


CHILD = r'''
import asyncio, json, os, resource, statistics, sys, time

T0 = float(os.environ["BENCH_T0"])
KIND, DB, FILTER_TEXT, MOVES = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def cpu_ms(before):
    return (time.process_time() - before) * 1000


async def measure(app, ready, filter_ready, set_filter):
    result = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not ready():
            await asyncio.sleep(0.001)
        await pilot.pause()
        result["first_queue_s"] = time.time() - T0
        for key, name in (("down", "cursor_ms"), ("pagedown", "page_down_ms")):
            samples = []
            for _ in range(MOVES):
                before = time.process_time()
                await pilot.press(key)
                await pilot.pause()
                samples.append(cpu_ms(before))
            result[name] = samples
        await pilot.pause(0.5)  # let the last page-down's fetches finish: time the filter alone
        started = time.time()
        set_filter(FILTER_TEXT)
        while not filter_ready():
            await asyncio.sleep(0.001)
        await pilot.pause()
        result["filter_s"] = time.time() - started
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if KIND == "triage":
    from screens.app import TriageApp
    from screens.lead_queue import LeadQueue
    from storage import LeadRepository, open_database
    from triage.services import Services

    app = TriageApp(Services.open(LeadRepository(open_database("sqlite:///" + DB)), "bench"))

    def ready():
        try:
            queue = app.query_one(LeadQueue)
        except Exception:
            return False
        return queue.row_count > 0

    def set_filter(text):
        app.queue_screen.apply_filter(text)

    def filter_ready():
        queue = app.query_one(LeadQueue)
        return app.queue_screen.filter_text == FILTER_TEXT and not queue.fetching and queue.row_count == 0

else:
    from textual.app import App
    from textual.widgets import DataTable, Footer

    class Bare(App):
        def compose(self):
            yield DataTable()
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("name", "company", "channel", "interest", "score", "age")
            self.fill(table, "")

        def fill(self, table, text):
            table.clear()
            if text:
                return
            for i in range(100):
                table.add_row(f"Lead {i}", "Company", "web_form", "inquiry", str(i), "1d")

    app = Bare()
    flt = {}

    def ready():
        try:
            return app.query_one(DataTable).row_count > 0
        except Exception:
            return False

    def set_filter(text):
        flt["text"] = text
        app.fill(app.query_one(DataTable), text)

    def filter_ready():
        return app.query_one(DataTable).row_count == 0

print(json.dumps(asyncio.run(measure(app, ready, filter_ready, set_filter))))
'''


def run_child(kind: str, db: Path) -> dict:
    env = dict(os.environ, BENCH_T0=repr(time.time()))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(db), FILTER_TEXT, str(MOVES)],
        capture_output=True, text=True, cwd=ROOT, env=env, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(runs: list[dict]) -> dict:
    cursor = [s for run in runs for s in run["cursor_ms"]]
    page = [s for run in runs for s in run["page_down_ms"]]
    return {
        "first_queue_s": statistics.median(run["first_queue_s"] for run in runs),
        "cursor_median_ms": statistics.median(cursor),
        "cursor_worst_ms": max(cursor),
        "page_down_median_ms": statistics.median(page),
        "page_down_worst_ms": max(page),
        "filter_s": statistics.median(run["filter_s"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench.db")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    seed(args.db, args.leads)

    results = {kind: summary([run_child(kind, args.db) for _ in range(args.runs)]) for kind in ("bare", "triage")}
    bare, triage = results["bare"], results["triage"]
    rows = [
        ("first queue (s from process start)", "first_queue_s", "{:.3f}"),
        ("cursor move CPU median (ms)", "cursor_median_ms", "{:.2f}"),
        ("cursor move CPU worst (ms)", "cursor_worst_ms", "{:.2f}"),
        ("page-down CPU median (ms)", "page_down_median_ms", "{:.2f}"),
        ("page-down CPU worst (ms)", "page_down_worst_ms", "{:.2f}"),
        ("filter by text (s)", "filter_s", "{:.3f}"),
        ("peak memory (MB)", "peak_mb", "{:.0f}"),
    ]
    print(f"{args.leads:,} leads in {args.db}, {args.runs} runs each, {MOVES} moves per run")
    print(f"{'':38} {'bare app':>10} {'triage':>10}")
    for label, key, fmt in rows:
        print(f"{label:38} {fmt.format(bare[key]):>10} {fmt.format(triage[key]):>10}")
    print(f"first queue behind the bare app: {triage['first_queue_s'] - bare['first_queue_s']:+.3f} s (target < 0.3 s)")


if __name__ == "__main__":
    main()
