"""Captures of every screen and dialog, as text, at a fixed clock on seeded data.

`tests/test_captures.py` compares each with the file stored in `tests/captures/`
(`NAME-80x24.txt`, `NAME-128x34.txt`); `TRIAGE_CAPTURES=rewrite` writes them anew.
The README's capture of the main screen is the stored `queue-128x34.txt`:

    .venv/bin/python tests/screen_captures.py          # rewrite every capture and the README's

A capture is what the compositor draws, line by line (the same as `tmux capture-pane`),
with trailing blanks cut.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import time_machine

HERE = Path(__file__).parent
ROOT = HERE.parent
CAPTURES = HERE / "captures"
README = ROOT / "README.md"
SIZES = [(80, 24), (128, 34)]
ENV_VAR = "TRIAGE_CAPTURES"
#: A Thursday morning in Berlin, within business hours.
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)
TZ = "Europe/Berlin"

#: name -> the keys a rep presses on the main screen to get there.
SCENARIOS: dict[str, list[str]] = {
    "queue": [],
    "lead-detail": ["tab"],
    "help": ["question_mark"],
    "return-dialog": ["r"],
    "checklist-dialog": ["c"],
    "import-dialog": ["i"],
    "import-preview": ["i", *"leads.csv", "enter"],
    "balance": ["b"],
    "confirm-dialog": ["b", "A"],
    "member-dialog": ["b", "n"],
    "review-board": ["v"],
    "return-detail": ["v", "enter"],
    "note-dialog": ["v", "o"],
    "scoring-report": ["s"],
    "palette": ["ctrl+p"],
}

IMPORT_FILE = [
    "first_name;last_name;email;company;country;channel;favourite colour",
    "Eva;Brandt;eva.brandt@brandt-bau.de;Brandt Bau GmbH;DE;web form;green",
    "Joost;Vermeulen;j.vermeulen@vermeulen.nl;Vermeulen B.V.;NL;event;blue",
    ";;;;;;",
    "Grace;Miller;grace@gmail.com;;GB;referral;red",
]


@contextmanager
def fixed_world(workdir: Path) -> Iterator[None]:
    """The clock stopped at NOW (datetime and time.time in every thread; the event loop's
    own monotonic clock runs on), Berlin's time zone, and `workdir` as the current folder."""
    before_tz, before_cwd = os.environ.get("TZ"), os.getcwd()
    os.environ["TZ"] = TZ
    time.tzset()
    os.chdir(workdir)
    try:
        with time_machine.travel(NOW, tick=False):
            yield
    finally:
        os.chdir(before_cwd)
        if before_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before_tz
        time.tzset()


def seed(workdir: Path):
    """The demo's leads and team, frozen: 60 leads, three reps and lena, the team lead;
    some leads decided, so the balance, the review board and the scoring report have
    something to show. Call inside `fixed_world`."""
    from storage import LeadRepository, open_database
    from triage.domain.models import ReturnDecision, Role, TeamMember
    from triage.services import Services
    from triage.services.seed import demo_leads, demo_team

    repo = LeadRepository(open_database(f"sqlite:///{workdir / 'captures.db'}"))
    repo.add_team_member(TeamMember(login="lena", name="Lena Lehmann", role=Role.LEAD))
    team = demo_team(3, seed=7, exclude=["lena"])
    for member in team:
        repo.add_team_member(member)
    repo.add_leads(list(demo_leads(60, seed=7, now=NOW)))
    reasons = ["not_ready", "no_fit", "capacity", "missing_data", "no_fit", "not_ready"]
    for number, member in enumerate(team):
        rep = Services.open(repo, member.login).decisions
        rep.accept(1 + number * 10)
        for offset, reason in enumerate(reasons[number * 2:number * 2 + 2], start=1):
            rep.return_lead(1 + number * 10 + offset, ReturnDecision(
                reason=reason, path="nurture" if offset == 1 else "disqualify", note=f"called, {reason}"))
    (workdir / "leads.csv").write_text("\n".join(IMPORT_FILE) + "\n", encoding="utf-8")
    return repo


async def settle(app, pilot) -> None:
    """Wait, by the app's state and never for a fixed time, until it has done what the keys
    asked: no timer of the main screen due (the lead panel follows the cursor after a
    short rest, the queue the filter after typing), no worker running, no message queued."""
    from textual.worker import WorkerCancelled

    for _ in range(1000):
        await pilot.pause()
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive poll replaced by the next one (a loaded machine): look again
            continue
        await pilot.pause()
        if not app.queue_screen.settling and not any(worker.is_running for worker in app.workers):
            return
        await pilot.pause(0.01)  # a timer is due: let the clock run to it
    raise AssertionError("the app never settled")


async def drawn(app, pilot) -> None:
    """Before a capture, beyond `settle`: no worker even waiting to start (a screen's load
    queued behind its mount), every table on the screen has measured its columns (a DataTable
    does so only when idle), and the screen has repainted what changed since (it does so on its
    own timer; until then the compositor draws the table's old columns). Not part of `settle`,
    which must also see work mid-run."""
    from textual.widgets import DataTable

    for _ in range(1000):
        await settle(app, pilot)
        screen = app.screen
        widgets = [screen, *screen.query("*")]
        if (not list(app.workers)
                and not any(table._require_update_dimensions or table._updated_cells
                            for table in screen.query(DataTable))
                and not (screen._layout_required or screen._scroll_required or screen._repaint_required
                         or screen._recompose_required or screen._dirty_widgets)
                and not any(widget._layout_required or widget._repaint_required for widget in widgets)):
            return
        await pilot.pause(0.01)
    raise AssertionError("the screen was never drawn in full")


def lines_of(app) -> str:
    from screen_lines import terminal_lines

    return "\n".join(line.rstrip() for line in terminal_lines(app)) + "\n"


async def capture_all(repo, size: tuple[int, int], names: list[str] | None = None) -> dict[str, str]:
    """Every scenario at `size`, in one app: each from the main screen, then back to it."""
    from screens.app import TriageApp
    from triage.services import Services

    app = TriageApp(Services.open(repo, "lena"))
    shots: dict[str, str] = {}
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for name in names or list(SCENARIOS):
            for key in SCENARIOS[name]:
                await pilot.press(key)
                await settle(app, pilot)
            await drawn(app, pilot)
            shots[name] = lines_of(app)
            while len(app.screen_stack) > 1:
                app.pop_screen()
                await settle(app, pilot)
            app.set_focus(app.queue_screen.queue)
            await settle(app, pilot)
    return shots


def capture_path(name: str, size: tuple[int, int]) -> Path:
    return CAPTURES / f"{name}-{size[0]}x{size[1]}.txt"


README_START = "<!-- capture: queue-128x34 (tests/screen_captures.py writes it) -->"
README_BLOCK = re.compile(re.escape(README_START) + r"\n```text\n.*?```\n", re.S)


def readme_with(capture: str, readme: str) -> str:
    block = f"{README_START}\n```text\n{capture}```\n"
    if not README_BLOCK.search(readme):
        raise ValueError(f"README.md has no line {README_START!r} to put the capture under")
    return README_BLOCK.sub(lambda _: block, readme)


def rewrite(workdir: Path) -> None:
    with fixed_world(workdir):
        repo = seed(workdir)
        for size in SIZES:
            for name, shot in asyncio.run(capture_all(repo, size)).items():
                capture_path(name, size).write_text(shot, encoding="utf-8")
    queue = capture_path("queue", (128, 34)).read_text(encoding="utf-8")
    README.write_text(readme_with(queue, README.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(HERE))
    CAPTURES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        rewrite(Path(folder))
    print(f"wrote {len(SCENARIOS) * len(SIZES)} captures in {CAPTURES} and the README's")
