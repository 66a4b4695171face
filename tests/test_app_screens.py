"""Each screen owns its keys: the keymap rebinds them, `?` and the palette read the screen
on top; background work has its own progress line and stops on `x`; a worker's
unexpected error is told and the app goes on."""

from __future__ import annotations

import logging
import threading

import pytest
from screen_lines import in_view, terminal_lines
from test_app import lead, press, run_command, settle, until
from test_import_preview import HEADER, ROWS, write

from screens.app import TriageApp
from screens.balance import BalanceScreen
from screens.confirm_dialog import ConfirmDialog
from screens.help_screen import HelpScreen
from screens.keymap import read_keymap
from screens.work_progress import WorkProgress
from storage import LeadRepository, open_database
from triage.domain.models import LeadData, Role, Stage, TeamMember
from triage.services import Services, new_lead


@pytest.fixture
def repo(tmp_path):
    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'screens.db'}"))
    repo.add_leads([lead(i) for i in range(5)])
    return repo


def messages(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


# --- the keymap ------------------------------------------------------------------------

def test_the_keymap_is_read_from_the_config_file_then_the_environment(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\naccept = "A"\n"balance.assign_pool" = "ctrl+a"\n', encoding="utf-8")
    assert read_keymap(config, {}) == {"accept": "A", "balance.assign_pool": "ctrl+a"}
    assert read_keymap(config, {"TRIAGE_KEYMAP": "accept=y; refresh=ctrl+r,f6"}) == {
        "accept": "y", "balance.assign_pool": "ctrl+a", "refresh": "ctrl+r,f6"}
    assert read_keymap(tmp_path / "none.toml", {}) == {}
    with pytest.raises(ValueError, match="TRIAGE_KEYMAP: 'accept' is not id=keys"):
        read_keymap(config, {"TRIAGE_KEYMAP": "accept"})
    config.write_text("[keymap]\naccept = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="config.toml: \\[keymap\\] maps binding ids to keys"):
        read_keymap(config, {})


async def test_a_rebound_key_decides_and_is_shown_where_the_keys_are_listed(repo):
    app = TriageApp(Services.open(repo, "anna"), keymap={"accept": "y", "refresh": "ctrl+r,f6"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "a")
        assert repo.get(1).stage is Stage.MQL  # a is no longer accept
        assert "y Accept" in terminal_lines(app)[-1]
        await press(app, pilot, "y")
        assert repo.get(1).stage is Stage.SAL
        await press(app, pilot, "question_mark")
        listed = dict(app.screen.keys)
        assert listed["y"] == "Accept" and listed["^r / F6"] == "Refresh"


# --- ? and the palette on the screen on top ----------------------------------------------

@pytest.fixture
def team(repo):
    for login, role in (("lena", Role.LEAD), ("anna", Role.REP)):
        repo.add_team_member(TeamMember(login=login, name=login.title(), role=role))
    return repo


async def test_help_on_the_balance_screen_lists_the_balance_screens_keys(team):
    app = TriageApp(Services.open(team, "lena"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "b")
        assert isinstance(app.screen, BalanceScreen)
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen.keys)
        assert listed["A"] == "Assign the unassigned pool to the reps (team lead)"
        assert listed["^r / F5"] == "Read the team's queues again" and listed["q / ^q"] == "Quit"
        assert "Accept" not in " ".join(listed.values()) and not app.screen.dialog_keys
        await press(app, pilot, "escape")
        assert isinstance(app.screen, BalanceScreen)


async def test_the_palette_on_the_balance_screen_offers_its_assign_action(team):
    app = TriageApp(Services.open(team, "lena"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "b")
        await run_command(app, pilot, "assign", "Assign pool (A)")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert in_view(app, "Assign 5 pool MQLs to 1 rep?")
        await press(app, pilot, "y")
        assert all(team.get(i).owner == "anna" for i in range(1, 6))


async def test_the_queues_palette_offers_no_action_of_another_screen(repo):
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        with pytest.raises(AssertionError, match="does not offer 'Assign pool"):
            await run_command(app, pilot, "assign pool", "Assign pool (A)")


# --- background work ---------------------------------------------------------------------

#: How long a paced method waits for its test at the most.
GATE_SECONDS = 120


def paced(method, gate: threading.Event, *, hold_before: bool = False, **options):
    """`method` as the screen calls it, its progress reports held until `gate` is set
    (after the report, or before it): the test presses its keys while the work is surely
    between two batches. The wait's bound only keeps a broken test from hanging: on a loaded
    machine an import beside the rescore can take longer than 10 s, which let the rescore
    run on before the test pressed x."""
    def call(*args, progress, **kwargs):
        def report(*figures):
            if hold_before:
                gate.wait(GATE_SECONDS)
            progress(*figures)
            gate.wait(GATE_SECONDS)
        return method(*args, progress=report, **kwargs, **options)
    return call


def line(app, group: str) -> WorkProgress:
    return app.queue_screen.query_one(f"#{group}-work", WorkProgress)


async def test_x_stops_a_rescore_between_batches_and_says_what_was_kept(tmp_path):
    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'old.db'}"))
    repo.add_leads([new_lead(LeadData(first_name=f"Old{i}"), score=77) for i in range(30)])
    service, gate = Services.open(repo, "anna"), threading.Event()
    service.scoring.rescore = paced(service.scoring.rescore, gate, batch=10)
    app = TriageApp(service)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: line(app, "rescore").running
                    and in_view(app, "Rescoring, rules 1 (x stops)"), "the rescore line drawn")
        await pilot.press("x")
        gate.set()
        await until(pilot, lambda: not line(app, "rescore").running, "the rescore line hidden")
        await settle(app, pilot)
        assert any("Rescore stopped: 10 of 30 leads scored again" in m for m in messages(app)), messages(app)
        assert service.scoring.count_to_rescore() == 20 and app.is_running


async def test_an_import_and_a_rescore_each_keep_their_own_progress_line(tmp_path):
    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'both.db'}"))
    repo.add_leads([new_lead(LeadData(first_name=f"Old{i}"), score=77) for i in range(30)])
    path = write(tmp_path / "leads.csv", [HEADER, *ROWS])
    service, rescoring, importing = Services.open(repo, "anna"), threading.Event(), threading.Event()
    service.scoring.rescore = paced(service.scoring.rescore, rescoring, batch=10)
    service.transfer.import_file = paced(service.transfer.import_file, importing)
    app = TriageApp(service)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: line(app, "rescore").running, "the rescore line shown")
        app.queue_screen.import_file(str(path))
        await until(pilot, lambda: line(app, "import").running and in_view(
            app, "Importing leads.csv (x stops)", "Rescoring, rules 1 (x stops)"), "both lines drawn")
        importing.set()
        await until(pilot, lambda: not line(app, "import").running, "the import line hidden")
        await until(pilot, lambda: in_view(app, "Rescoring, rules 1 (x stops)"), "the rescore line kept")
        assert line(app, "rescore").running
        await pilot.press("x")
        rescoring.set()
        await until(pilot, lambda: not line(app, "rescore").running, "the rescore line hidden")
        await settle(app, pilot)
        assert any("imported 2, merged 0, rejected 2" in m for m in messages(app)), messages(app)
        assert any("Rescore stopped" in m for m in messages(app)), messages(app)


async def test_x_stops_an_import_and_nothing_of_it_is_stored(repo, tmp_path):
    path = write(tmp_path / "leads.csv", [HEADER, *ROWS])
    service, gate = Services.open(repo, "anna"), threading.Event()
    service.transfer.import_file = paced(service.transfer.import_file, gate, hold_before=True)
    app = TriageApp(service)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        app.queue_screen.import_file(str(path))
        await until(pilot, lambda: line(app, "import").running, "the import line shown")
        await pilot.press("x")
        gate.set()
        await until(pilot, lambda: not line(app, "import").running, "the import line hidden")
        await settle(app, pilot)
        assert any("Import of leads.csv stopped: nothing was imported" in m for m in messages(app)), messages(app)
        assert len(list(repo.list_leads())) == 5


async def test_an_unexpected_error_in_a_worker_is_told_and_logged_and_the_app_goes_on(repo, caplog):
    service = Services.open(repo, "anna")
    real_panel = service.decisions.lead_panel

    def broken(lead_id, clock):
        if lead_id == 2:
            raise RuntimeError("the driver fell over [bold]x[/]")
        return real_panel(lead_id, clock)

    service.decisions.lead_panel = broken  # read by the lead panel only
    app = TriageApp(service)
    with caplog.at_level(logging.ERROR, logger="triage.screens"):
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(app, pilot)
            await press(app, pilot, "down")  # the lead panel's worker fails on lead 2
            await settle(app, pilot)
            assert app.is_running and app.return_code is None
            assert any("RuntimeError: the driver fell over [bold]x[/]. The app goes on" in m
                       for m in messages(app)), messages(app)
            await press(app, pilot, "a")  # and the rep keeps working
            assert repo.get(2).stage is Stage.SAL
    assert any("a worker failed" in record.getMessage() and record.exc_info for record in caplog.records)


async def test_a_start_with_no_work_to_run_sets_up_no_progress_bar(repo):
    from textual.widgets import ProgressBar

    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.query(ProgressBar) and not line(app, "rescore").running
