"""The team lead's balance screen and member dialog at 80x24, driven by the keys."""

from datetime import date, datetime, timedelta, timezone

import pytest
from screen_lines import in_view, terminal_lines
from test_app import press, settle, until
from textual.widgets import DataTable, Input, Static

from screens.app import TriageApp
from screens.balance import POOL, BalanceScreen
from screens.confirm_dialog import ConfirmDialog
from screens.help_screen import HelpScreen
from screens.member_dialog import MemberDialog
from storage import LeadRepository, open_database
from triage.domain.models import LeadData, Role, TeamMember
from triage.services import Services, new_lead

NOW = datetime.now(timezone.utc)
SMALL = (80, 24)


@pytest.fixture
def repo(tmp_path):
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "balance.db")))
    # 30 MQLs: 28 handed over two weeks ago (long past the 48 business hours), 2 just now
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}", last_name="X", email=f"l{i}@firma.de"),
                             handed_over_at=NOW - (timedelta(minutes=5) if i > 28 else timedelta(days=14)))
                    for i in range(1, 31)])
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD), TeamMember(login="anna", name="Anna"),
                   TeamMember(login="bob", name="Bob", capacity=0.5), TeamMember(login="rita", name="Rita",
                                                                                  role=Role.BOARD)):
        repo.add_team_member(member)
    return repo


def lena(repo):
    return Services.open(repo, "lena")


def test_the_balance_counts_the_pool_and_its_breaches(repo):
    lena(repo).team.reassign([1, 2], "anna")
    balance = lena(repo).team.balance()
    assert (balance.pool.open_leads, balance.pool.breached) == (28, 26)
    assert sum(balance.pool.ages.values()) == 28 and balance.pool.ages["<8h"] == 2
    rows = {row.member.login: row for row in balance.reps}
    assert (rows["anna"].open_leads, rows["anna"].breached) == (2, 2)
    assert balance.breached == 28


async def open_balance(app, pilot):
    await settle(app, pilot)
    await press(app, pilot, "b")
    assert isinstance(app.screen, BalanceScreen)
    return app.screen


async def test_the_balance_screen_shows_the_pool_its_breaches_and_what_the_headers_hold(repo):
    app = TriageApp(lena(repo))
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_balance(app, pilot)
        table = screen.query_one(DataTable)
        assert [key.value for key in table.rows] == [POOL, "anna", "bob", "lena"]
        pool = table.get_row(POOL)
        labels = [str(column.label) for column in table.columns.values()]
        assert str(pool[labels.index("open")]) == "30" and str(pool[labels.index("breached")]) == "28"
        assert "capacity" in labels and "cap." not in labels and "soon due" in labels
        summary = str(screen.query_one("#balance-summary", Static).render())
        assert "SLA: 28 open MQLs breached (28 in the pool, 0 with the reps)" in " ".join(summary.split())
        assert in_view(app, "unassigned pool", "SLA: 28 open MQLs breached")
        footer = terminal_lines(app)[-1]
        assert "Back" in footer and "Help" in footer and "Assign pool" in footer
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert in_view(app, "Assign the unassigned pool to the reps") and not in_view(app, "Accept the lead")


async def test_the_balance_screen_shows_the_volume_agreement_both_ways(repo):
    lena(repo).decisions.accept(30)  # handed over five minutes ago: answered within the SLA
    app = TriageApp(lena(repo))
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_balance(app, pilot)
        volume = str(screen.query_one("#balance-volume", Static).render())
        last, current = volume.splitlines()
        assert " so far " in current and " so far " not in last
        handed = {NOW.strftime("%Y-%m"): 2}
        handed[(NOW - timedelta(days=14)).strftime("%Y-%m")] = handed.get((NOW - timedelta(days=14)).strftime("%Y-%m"), 0) + 28
        assert f"marketing {handed.get(last.split()[0], 0)}/50," in last
        assert f"marketing {handed[NOW.strftime('%Y-%m')]}/50," in current and "sales 1/1 in SLA (100%)" in current
        assert in_view(app, "Volume agreement")


async def test_assigning_the_pool_asks_first_with_the_count(repo):
    app = TriageApp(lena(repo))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await open_balance(app, pilot)
        await press(app, pilot, "A")
        assert isinstance(app.screen, ConfirmDialog)
        assert in_view(app, "Assign 30 pool MQLs to 2 reps?", "Anna", "Bob")
        assert all(lead.owner is None for lead in repo.list_leads())  # nothing yet
        await press(app, pilot, "n")
        assert isinstance(app.screen, BalanceScreen) and all(lead.owner is None for lead in repo.list_leads())
        await press(app, pilot, "A")
        await press(app, pilot, "escape")
        assert all(lead.owner is None for lead in repo.list_leads())
        await press(app, pilot, "A")
        await press(app, pilot, "y")
        assert isinstance(app.screen, BalanceScreen)
        owners = [lead.owner for lead in repo.list_leads()]
        assert set(owners) == {"anna", "bob"} and owners.count("anna") in (20, 21)  # capacity 1 and 0.5
        assert any("Assigned 30 leads" in str(n.message) for n in app._notifications)
        assert str(app.screen.query_one(DataTable).get_row(POOL)[3]) == "0"


async def test_releasing_a_reps_leads_asks_first_with_the_count(repo):
    lena(repo).team.reassign([1, 2, 3], "anna")
    app = TriageApp(lena(repo))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await open_balance(app, pilot)
        await press(app, pilot, "P")  # on the pool's row: nobody to release
        assert isinstance(app.screen, BalanceScreen)
        await press(app, pilot, "down", "P")  # anna
        assert isinstance(app.screen, ConfirmDialog)
        assert in_view(app, "Send 3 open MQLs of Anna back to the pool?")
        await press(app, pilot, "n")
        assert repo.get(1).owner == "anna"
        await press(app, pilot, "P")
        await press(app, pilot, "y")
        assert [repo.get(i).owner for i in (1, 2, 3)] == [None, None, None]
        assert any("3 open leads of anna back to the pool" in str(n.message) for n in app._notifications)


async def test_a_rep_is_refused_assigning_before_any_question(repo):
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await open_balance(app, pilot)
        await press(app, pilot, "A")
        assert isinstance(app.screen, BalanceScreen)
        assert any("only a team lead may assign leads; anna is rep" in str(n.message) for n in app._notifications)


async def test_the_member_dialog_keeps_what_was_typed_and_says_beside_the_field_what_is_wrong(repo):
    app = TriageApp(lena(repo))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await open_balance(app, pilot)
        await press(app, pilot, "n")
        assert isinstance(app.screen, MemberDialog)
        await pilot.press(*"kim", "tab", *"Kim Berg", "tab", "tab", "backspace", *"lots", "tab", "5", "tab", *"NL,BE",
                          "tab", "tab", *"31.03.2027")
        await press(app, pilot, "enter")
        dialog = app.screen
        assert isinstance(dialog, MemberDialog), "a dialog that cannot save stays open"
        assert dialog.fields() | {"role": "rep"} == {
            "login": "kim", "name": "Kim Berg", "role": "rep", "capacity": "lots", "cap": "5", "countries": "NL,BE",
            "languages": "", "away-from": "31.03.2027", "away-until": ""}
        assert in_view(app, "Capacity lots", "↑ 'lots' is not a number (e.g. 0,5 or 0.5)",
                       "↑ an away period needs both days: from and until")
        assert app.focused is dialog.query_one("#member-capacity", Input)
        assert all(member.login != "kim" for member in repo.team())
        await pilot.press(*["backspace"] * 4, *"0,5", "tab", "tab", "tab", "tab", "tab", *"2-4-27")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, BalanceScreen)
        kim = lena(repo).team.member("kim")
        assert (kim.name, kim.capacity, kim.cap, kim.countries) == ("Kim Berg", 0.5, 5, ["BE", "NL"])
        assert [(p.since, p.until) for p in kim.away] == [(date(2027, 3, 31), date(2027, 4, 2))]
        assert "kim" in [key.value for key in app.screen.query_one(DataTable).rows]


async def test_editing_a_member_adds_an_away_period_typed_as_people_type_it(repo):
    app = TriageApp(lena(repo))
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await open_balance(app, pilot)
        await press(app, pilot, "down", "down", "e")  # bob
        dialog = app.screen
        assert isinstance(dialog, MemberDialog) and dialog.member.login == "bob"
        assert dialog.query_one("#member-capacity", Input).value == "0.5"
        dialog.query_one("#member-away-from", Input).focus()
        await pilot.press(*"24.12.2026", "tab", *"2026-12-31", "tab")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, BalanceScreen)
        assert [(str(p.since), str(p.until)) for p in lena(repo).team.member("bob").away] == [("2026-12-24", "2026-12-31")]
        await press(app, pilot, "e")  # the cursor stays on bob; the period is listed
        assert in_view(app, "Away already: 24.12.2026–31.12.2026")
        app.screen.query_one("#member-away-from", Input).focus()
        await pilot.press(*"5.1.27", "tab", *"1.1.27")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, MemberDialog)
        assert in_view(app, "cannot end (2027-01-01) before it starts (2027-01-05)")
        assert len(lena(repo).team.member("bob").away) == 1


async def test_a_rep_adding_a_member_is_told_why_in_the_dialog(repo):
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SMALL) as pilot:
        await open_balance(app, pilot)
        await press(app, pilot, "n")
        await pilot.press(*"zed", "tab", *"Zed")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, MemberDialog)
        assert in_view(app, "only a team lead may change the team; anna is rep")
        assert app.screen.query_one("#member-login", Input).value == "zed"
        assert all(member.login != "zed" for member in repo.team())


async def test_the_palette_on_the_balance_screen_offers_its_actions(repo):
    from textual.command import CommandList

    app = TriageApp(lena(repo))
    async with app.run_test(size=(128, 34)) as pilot:
        await open_balance(app, pilot)
        await press(app, pilot, "ctrl+p")
        await until(pilot, lambda: app.screen.query(CommandList) and app.screen.query_one(CommandList).option_count,
                    "the palette's commands")
        prompts = [str(option.prompt) for option in app.screen.query_one(CommandList).options]
        assert any("Assign pool" in prompt for prompt in prompts)
        assert not any("Release (P)" in prompt for prompt in prompts)  # on the pool's row: nobody to release
        await press(app, pilot, "escape", "down", "ctrl+p")
        await until(pilot, lambda: app.screen.query(CommandList) and app.screen.query_one(CommandList).option_count,
                    "the palette's commands")
        prompts = [str(option.prompt) for option in app.screen.query_one(CommandList).options]
        assert any("Release (P)" in prompt for prompt in prompts) and any("Edit (e)" in p for p in prompts)
        await press(app, pilot, *"assign", "enter")
        assert isinstance(app.screen, ConfirmDialog) and in_view(app, "Assign 30 pool MQLs to 2 reps?")


def test_the_assign_question_counts_each_batch_and_keeps_no_assignment():
    """`A` asks with counts added batch by batch; the first lead left in the pool says why."""
    from screens.balance import AssignPlan
    from triage.domain.fairness import Assignment, Outcome

    plan = AssignPlan()
    plan.add(Outcome(assignments=[Assignment(1, "anna", "least loaded"), Assignment(2, "bob", "least loaded")]))
    plan.add(Outcome(assignments=[Assignment(3, "anna", "least loaded")], unassigned=[(4, "every rep is full")]))
    plan.add(Outcome(unassigned=[(5, "nobody covers AT")]))
    assert (plan.per_rep, plan.assigned, plan.unassigned) == ({"anna": 2, "bob": 1}, 3, 2)
    assert plan.why_unassigned == "every rep is full"
