"""How the rep's queue behaves with a million leads, beside a bare Textual app.

Usage: python bench/bench_queue.py [--leads 1000000] [--db PATH] [--runs 3] [--fresh]

Seeds PATH (default: a file in the temp folder, reused when it already holds the
asked-for number of leads), then starts each app in a fresh process and prints, for
the triage app and for a bare Textual app with one DataTable and a Footer:

- seconds from process start to the first rendered queue, and to the settled first screen
  (its page and its count shown, no worker running),
- CPU milliseconds per cursor move and per page-down (median and worst),
- seconds to filter the queue by a text that matches nothing (a full scan), and from
  typing `/schmidt` Enter to the settled page, and from Enter alone (the bare app types
  the same keys into an Input and refills its table: the Pilot waits for the app to idle
  after every key, about 0.1 s a key, which no app can go below),
- peak memory (max RSS) of the process;

then for triage alone, on the same database: seconds from a key to the frame (the screen on
top, painted) and to settled (its figures in, no worker running) of the balance screen
(`b`), the review board (`v`, 30 days, then `p` for 90), the scoring report (`s`), the
checklist dialog (`c`) and a lead's history (the panel after a cursor move); the exports of
leads (CSV, JSON, XLSX) in rows per second and peak memory, beside a bare loop that fetches
the same rows and writes them with `csv` untouched (the floor Python can reach on this
machine); `triage sla` and `triage assign --dry-run` in seconds and peak memory. With
`--fresh` the database is seeded again and `triage seed`'s time printed.

Targets at a million leads (issue 18): the settled first screen within 0.3 s of the bare
app, `/schmidt` Enter under 0.3 s, page-down within 5 ms and a cursor move within 2 ms of
the bare app, peak memory under 100 MB, every other screen within a second of its key.
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
#: A name many seeded leads share, typed as a rep types it: `/`, the name, Enter.
SEARCH = "schmidt"


def seed(path: Path, leads: int, fresh: bool = False) -> float | None:
    """Seeds `path` unless it holds `leads` leads already; the seconds `triage seed` took."""
    from storage import LeadRepository, open_database

    if path.exists() and not fresh:
        repo = LeadRepository(open_database(f"sqlite:///{path}"))
        if repo.count_leads() == leads:
            rescore(repo)
            return None
        repo.db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "triage.cli", "--db", f"sqlite:///{path}", "seed",
         "--leads", str(leads), "--reps", "8", "--seed", "1"],
        check=True, cwd=ROOT,
    )
    took = time.perf_counter() - started
    print(f"seeded {leads:,} leads in {took:.1f} s", file=sys.stderr)
    return took


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
SCREENS = len(sys.argv) > 5 and sys.argv[5] == "screens"
SEARCH = os.environ["BENCH_SEARCH"]


def cpu_ms(before):
    return (time.process_time() - before) * 1000


def busy(app):
    from textual.worker import WorkerState
    return [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]


async def settled(pilot, app, screen_changed=None, limit=60.0, wait_workers=True):
    """Seconds until the screen changed (when asked) and no worker runs (unless not
    `wait_workers`); None after `limit`."""
    started = time.time()
    while time.time() - started < limit:
        await pilot.pause()
        if (screen_changed is None or screen_changed()) and not (wait_workers and busy(app)):
            return time.time() - started
        await asyncio.sleep(0.002)
    return None


async def screens(app, pilot, result):
    """Each other screen from its key: to its frame (the screen on top, painted) and to
    settled (its figures in, no worker running), then back (Escape)."""
    base = app.screen
    for name, keys in (("balance", ["b"]), ("review_30", ["v"]), ("review_90", ["p"]),
                       ("scoring", ["s"]), ("checklist", ["c"]), ("history", ["down"])):
        started = time.time()
        for key in keys:
            await pilot.press(key)
        if name in ("review_90", "history"):  # the same screen: its frame is there already
            frame = 0.0
        else:
            frame = await settled(pilot, app, lambda: app.screen is not base, wait_workers=False)
        took = await settled(pilot, app)
        result[name + "_frame_s"] = None if frame is None else frame
        result[name + "_s"] = None if took is None else time.time() - started
        if name != "review_30":
            while app.screen is not base:
                await pilot.press("escape")
                await settled(pilot, app, limit=10)


async def measure(app, ready, filter_ready, set_filter):
    result = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not ready():
            await asyncio.sleep(0.001)
        await pilot.pause()
        result["first_queue_s"] = time.time() - T0
        await settled(pilot, app)
        result["settled_queue_s"] = time.time() - T0
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
        set_filter("")
        await settled(pilot, app)
        await search_box(app)
        started = time.time()
        await pilot.press("slash", *SEARCH)
        entered = time.time()
        await pilot.press("enter")
        while not search_ready():
            await pilot.pause()
        await settled(pilot, app)
        result["search_s"] = time.time() - started
        result["search_enter_s"] = time.time() - entered
        if KIND == "triage":
            await pilot.press("slash", "escape")
            await settled(pilot, app)
        if KIND == "triage" and SCREENS:
            await screens(app, pilot, result)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if KIND == "triage":
    from screens.app import TriageApp
    from screens.lead_queue import LeadQueue
    from storage import LeadRepository, open_database
    from storage.db import tune_for_app
    from triage.services import Services

    import getpass
    db = open_database("sqlite:///" + DB)
    tune_for_app(db)  # as `triage` does before it starts the app
    app = TriageApp(Services.open(LeadRepository(db), getpass.getuser()))

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

    def search_ready():
        queue = app.query_one(LeadQueue)
        return (app.queue_screen.filter_text == SEARCH and not queue.fetching and not app.queue_screen.settling
                and queue.row_count > 0)

    async def search_box(app):
        pass

else:
    from textual.app import App
    from textual.widgets import DataTable, Footer, Input

    class Bare(App):
        BINDINGS = [("slash", "filter", "Filter")]

        def compose(self):
            yield DataTable()
            yield Footer()

        def action_filter(self):
            self.query_one(Input).focus()

        def on_input_submitted(self, event):
            table = self.query_one(DataTable)
            self.fill(table, "")
            table.focus()

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

    async def search_box(app):
        """The same keys typed into an Input mounted now (the launch measured without it):
        the time Textual and the Pilot take to type them is the yardstick."""
        await app.mount(Input(), before=app.query_one(DataTable))

    def search_ready():
        return app.focused is app.query_one(DataTable) and app.query_one(DataTable).row_count > 0

print(json.dumps(asyncio.run(measure(app, ready, filter_ready, set_filter))))
'''


def run_child(kind: str, db: Path, screens: bool = False) -> dict:
    env = dict(os.environ, BENCH_T0=repr(time.time()), BENCH_SEARCH=SEARCH)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(db), FILTER_TEXT, str(MOVES), *(["screens"] if screens else [])],
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
        "settled_queue_s": statistics.median(run["settled_queue_s"] for run in runs),
        "search_s": statistics.median(run["search_s"] for run in runs),
        "search_enter_s": statistics.median(run["search_enter_s"] for run in runs),
        "cursor_median_ms": statistics.median(cursor),
        "cursor_worst_ms": max(cursor),
        "page_down_median_ms": statistics.median(page),
        "page_down_worst_ms": max(page),
        "filter_s": statistics.median(run["filter_s"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
    }


CLI_CHILD = r'''
import resource, sys, time
from triage.cli.main import main
started = time.perf_counter()
with open(sys.argv[1], "w", encoding="utf-8") as out:
    code = main(sys.argv[2:], out)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, code)
'''



def run_cli(db: Path, *args: str, output: str = os.devnull) -> tuple[float, float]:
    """Seconds (inside the process, from the command's start) and peak MB of one triage command."""
    import getpass

    done = subprocess.run(
        [sys.executable, "-c", CLI_CHILD, output, "--db", f"sqlite:///{db}", "--as", getpass.getuser(), *args],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"triage {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    seconds, peak, _ = done.stdout.split()
    return float(seconds), float(peak)


def cli_figures(db: Path, leads: int) -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_throughput import BARE_EXPORT  # the floor: the rows fetched and written, no conversion

    lines = []
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-c", BARE_EXPORT, str(db), f"{folder}/bare.csv"],
                              capture_output=True, text=True, check=True)
        seconds, _cpu, peak, rows = done.stdout.split()
        bare = int(rows) / float(seconds)
        lines.append(f"{'bare fetch + csv.writer, no conversion':38} {bare:>10,.0f} rows/s {float(peak):>6.0f} MB")
        for fmt in ("csv", "json", "xlsx"):
            seconds, peak = run_cli(db, "export", "leads", "-o", f"{folder}/leads.{fmt}")
            lines.append(f"{'triage export leads --format ' + fmt:38} {leads / seconds:>10,.0f} rows/s "
                         f"{peak:>6.0f} MB  ({leads / seconds / bare:.2f} of the bare loop)")
    for args in (("sla",), ("assign", "--dry-run")):
        seconds, peak = run_cli(db, *args)
        extra = f"  ({leads / seconds:,.0f} leads/s)" if args[0] == "assign" else ""
        lines.append(f"{'triage ' + ' '.join(args):38} {seconds:>10.2f} s      {peak:>6.0f} MB{extra}")
    return lines


TERMINAL_SIZE = (160, 45)
#: Seconds between two keys sent to the terminal: a rep pressing keys ten times a second
#: (the lead panel, which follows the cursor once it rests 0.12 s, stays put between them).
KEY_GAP = 0.1
#: Launches of each app in the terminal, alternating; their median is printed.
LAUNCHES = 5
BARE_TERMINAL_APP = r'''
import sys
from textual.app import App
from textual.widgets import DataTable, Footer

class Bare(App):
    def compose(self):
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("name", "company", "channel", "interest", "score", "age")
        for i in range(int(sys.argv[1])):
            table.add_row(f"Lead {i}", "Company", "web_form", "inquiry", str(i), "1d")

Bare().run()
'''


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


#: A tmux server of the bench's own, kept up by a session that waits, so that the server
#: does not exit (and race the next app's start) whenever an app's session ends.
TMUX_SERVER = ["tmux", "-L", f"triage-bench-{os.getpid()}"]


def _tmux(*args: str) -> str:
    done = subprocess.run([*TMUX_SERVER, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"tmux {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout


def _still(pid: int, since: float, still: float = 1.0) -> None:
    """Waits until the app's CPU stays the same for `still` seconds."""
    last, changed = _cpu_ticks(pid), time.time()
    while time.time() - changed < still and time.time() - since < 120:
        time.sleep(0.02)
        now = _cpu_ticks(pid)
        if now != last:
            last, changed = now, time.time()


def _shown(session: str, since: float, texts: list[str]) -> float:
    """Seconds from `since` until every text is on the terminal's screen."""
    while time.time() - since < 120:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if all(text in screen for text in texts):
            return time.time() - since
        time.sleep(0.01)
    raise SystemExit(f"never shown: {texts}")


def terminal_keys(command: list[str], ready: list[str], keys: list[str], moves: int,
                  search: list[str] | None = None) -> dict[str, float]:
    """An app in a real terminal (tmux, 160×45), as the issue measured it: seconds from the
    launch until the `ready` texts are all on the screen; CPU milliseconds per key, read from
    /proc over `moves` keys sent `KEY_GAP` apart once the app is still, less what it spends
    idle over as long; with `search` (texts shown once it is done), seconds from Enter after
    `/schmidt` until they are shown."""
    import shlex

    session = f"app-{time.monotonic_ns()}"
    width, height = TERMINAL_SIZE
    launched = time.time()
    _tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), shlex.join(command))
    try:
        pid = int(_tmux("list-panes", "-t", session, "-F", "#{pane_pid}").strip())
        ticks_per_s = os.sysconf("SC_CLK_TCK")
        result = {"settled_s": _shown(session, launched, ready)}
        if not keys and not search:
            return result
        _still(pid, launched)
        span = moves * KEY_GAP + 1.0
        before = _cpu_ticks(pid)
        time.sleep(span)
        idle = _cpu_ticks(pid) - before
        for key in keys:
            before = _cpu_ticks(pid)
            for _ in range(moves):
                _tmux("send-keys", "-t", session, key)
                time.sleep(KEY_GAP)
            time.sleep(1.0)
            used = _cpu_ticks(pid) - before - idle
            result[key] = used * 1000 / ticks_per_s / moves
        result["idle_ms_per_s"] = idle * 1000 / ticks_per_s / span
        if search:
            _still(pid, time.time())
            _tmux("send-keys", "-t", session, "/")
            _tmux("send-keys", "-t", session, "-l", SEARCH)
            entered = time.time()  # Enter at once, before the filter's pause after typing ends
            _tmux("send-keys", "-t", session, "Enter")
            result["search_enter_s"] = _shown(session, entered, search)
        return result
    finally:
        subprocess.run([*TMUX_SERVER, "kill-session", "-t", session], capture_output=True, check=False)


def terminal_figures(db: Path) -> list[str]:
    import shutil

    if shutil.which("tmux") is None:
        return ["in a real terminal: tmux is not installed, left out"]
    rows = MOVES * TERMINAL_SIZE[1] + TERMINAL_SIZE[1]  # every page-down moves a whole page
    keys = ["Down", "PageDown"]
    _tmux("new-session", "-d", "-s", "keeper", "sleep 100000")
    try:
        bare_app = [sys.executable, "-c", BARE_TERMINAL_APP]
        bare = terminal_keys([*bare_app, str(rows)], ["Lead 0"], keys, MOVES)
        app = [sys.executable, "-m", "triage.cli", "--lang", "en", "--db", f"sqlite:///{db}"]
        # settled: the page, its count and the first lead's panel drawn
        shown = ["MQLs", "Lead #", "Qualification checklist"]  # the pool: the bench signs in as its team lead
        triage = terminal_keys(app, shown, keys, MOVES, search=["leads match"])
        launches: dict[str, list[float]] = {"bare": [], "triage": []}
        for _ in range(LAUNCHES):  # one after the other, so that both see the same machine
            launches["bare"].append(terminal_keys([*bare_app, "100"], ["Lead 0"], [], 0)["settled_s"])
            launches["triage"].append(terminal_keys(app, shown, [], 0)["settled_s"])
        bare["settled_s"], triage["settled_s"] = (statistics.median(launches[kind]) for kind in ("bare", "triage"))
    finally:
        subprocess.run([*TMUX_SERVER, "kill-server"], capture_output=True, check=False)
    lines = [f"in a real terminal (tmux {TERMINAL_SIZE[0]}×{TERMINAL_SIZE[1]}), CPU ms per key, {MOVES} keys "
             f"{KEY_GAP} s apart, less the app's idle CPU; the bare DataTable holds {rows:,} rows for the keys (a "
             f"page-down always moves), 100 for the launch (median of {LAUNCHES}, until the page is drawn: "
             "the bare app's first row, triage's count and lead panel):",
             f"{'':38} {'bare app':>10} {'triage':>10}"]
    lines.append(f"{'launch to settled first screen (s)':38} {bare['settled_s']:>10.3f} {triage['settled_s']:>10.3f}")
    for key, label in (("Down", "cursor move"), ("PageDown", "page-down")):
        lines.append(f"{label + ' CPU per key (ms)':38} {bare[key]:>10.2f} {triage[key]:>10.2f}")
    lines.append(f"{'idle CPU (ms per s)':38} {bare['idle_ms_per_s']:>10.2f} {triage['idle_ms_per_s']:>10.2f}")
    lines.append(f"{f'/{SEARCH} Enter to settled page (s)':38} {'-':>10} {triage['search_enter_s']:>10.3f}")
    lines.append(f"settled behind the bare app: {triage['settled_s'] - bare['settled_s']:+.3f} s (target < 0.3 s); "
                 f"per key behind the bare app: page-down {triage['PageDown'] - bare['PageDown']:+.2f} ms (target < 5), "
                 f"down {triage['Down'] - bare['Down']:+.2f} ms (target < 2)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench.db")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="seed the database again, timing `triage seed`")
    parser.add_argument("--no-cli", action="store_true", help="leave out the exports and CLI reports")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    seeded = seed(args.db, args.leads, args.fresh)
    print("command: python " + " ".join(sys.argv))

    results = {kind: summary([run_child(kind, args.db) for _ in range(args.runs)]) for kind in ("bare", "triage")}
    bare, triage = results["bare"], results["triage"]
    rows = [
        ("first queue (s from process start)", "first_queue_s", "{:.3f}"),
        ("settled first screen (s from start)", "settled_queue_s", "{:.3f}"),
        ("cursor move CPU median (ms)", "cursor_median_ms", "{:.2f}"),
        ("cursor move CPU worst (ms)", "cursor_worst_ms", "{:.2f}"),
        ("page-down CPU median (ms)", "page_down_median_ms", "{:.2f}"),
        ("page-down CPU worst (ms)", "page_down_worst_ms", "{:.2f}"),
        ("filter by text (s)", "filter_s", "{:.3f}"),
        (f"/{SEARCH} Enter to settled page (s)", "search_s", "{:.3f}"),
        ("  of it from Enter (s)", "search_enter_s", "{:.3f}"),
        ("peak memory (MB)", "peak_mb", "{:.0f}"),
    ]
    print(f"{args.leads:,} leads in {args.db}, {args.runs} runs each, {MOVES} moves per run")
    print(f"{'':38} {'bare app':>10} {'triage':>10}")
    for label, key, fmt in rows:
        print(f"{label:38} {fmt.format(bare[key]):>10} {fmt.format(triage[key]):>10}")
    print(f"first queue behind the bare app: {triage['first_queue_s'] - bare['first_queue_s']:+.3f} s, "
          f"settled: {triage['settled_queue_s'] - bare['settled_queue_s']:+.3f} s (target < 0.3 s); "
          f"per key behind the bare app: page-down {triage['page_down_median_ms'] - bare['page_down_median_ms']:+.2f} ms "
          f"(target < 5), down {triage['cursor_median_ms'] - bare['cursor_median_ms']:+.2f} ms (target < 2)")
    for line in terminal_figures(args.db):
        print(line)
    if seeded is not None:
        print(f"triage seed --leads {args.leads}: {seeded:.1f} s ({args.leads / seeded:,.0f} leads/s)")
    shown = run_child("triage", args.db, screens=True)
    print("other screens, seconds from the key to the frame / to settled (no worker running), triage only:")
    for label, key in (("balance (b)", "balance"), ("review board, 30 days (v)", "review_30"),
                       ("review board, 90 days (p)", "review_90"), ("scoring report (s)", "scoring"),
                       ("checklist dialog (c)", "checklist"), ("a lead's history (down)", "history")):
        frame, value = shown.get(key + "_frame_s"), shown.get(key + "_s")
        print(f"  {label:36} {'over 60 s' if frame is None else f'{frame:.3f} s':>10} "
              f"{'over 60 s' if value is None else f'{value:.3f} s':>10}")
    print(f"  peak memory with every screen opened {shown['peak_mb']:>10.0f} MB")
    if not args.no_cli:
        for line in cli_figures(args.db, args.leads):
            print(line)


if __name__ == "__main__":
    main()
