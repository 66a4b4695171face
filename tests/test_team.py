"""The team through the services and the CLI: roles, assignment, replay, reassign, SLA."""

import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from storage import LeadRepository, open_database
from triage.domain.errors import TriageError
from triage.domain.models import AuditEvent, AwayPeriod, LeadData, ReturnDecision, Role, Stage, TeamMember
from triage.services import Services, new_lead
from triage.domain.errors import RoleRefused
from logins import main_as

NOW = datetime.now(timezone.utc)
RETURN = ReturnDecision(reason="no_fit", path="nurture")


@pytest.fixture
def url(tmp_path):
    return "sqlite:///" + str(tmp_path / "team.db")


@pytest.fixture
def repo(url):
    repo = LeadRepository(open_database(url))
    repo.add_leads([
        new_lead(LeadData(first_name=f"Lead{i}", country="NL" if i % 3 == 0 else "DE",
                          interest="demo_request" if i % 5 == 0 else "inquiry", emails_clicked=i % 4),
                 handed_over_at=NOW - timedelta(hours=i))
        for i in range(1, 31)
    ])
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD),
                   TeamMember(login="anna", name="Anna"), TeamMember(login="bob", name="Bob", capacity=0.5),
                   TeamMember(login="rita", name="Rita", role=Role.BOARD)):
        repo.add_team_member(member)
    return repo


def as_(repo, login):
    return Services.open(repo, login)


def test_a_rep_decides_own_and_pool_leads_only(repo):
    as_(repo, "lena").team.reassign([1], "bob")
    with pytest.raises(RoleRefused, match="lead 1 is assigned to bob; only bob or a team lead decides it"):
        as_(repo, "anna").decisions.accept(1)
    with pytest.raises(RoleRefused, match="assigned to bob"):
        as_(repo, "anna").decisions.return_lead(1, RETURN)
    with pytest.raises(RoleRefused, match="assigned to bob"):
        as_(repo, "anna").decisions.set_answer(1, "creditworthy", "A")
    with pytest.raises(RoleRefused, match="assigned to bob"):
        as_(repo, "anna").decisions.set_grade(1, "B")
    assert as_(repo, "anna").decisions.accept(2).owner == "anna"  # a pool lead: taken by deciding it
    assert as_(repo, "bob").decisions.accept(1).owner == "bob"
    assert as_(repo, "lena").decisions.return_lead(3, RETURN).stage is Stage.RETURNED  # a team lead decides any


def test_the_review_board_reads_but_does_not_decide_or_take(repo):
    rita = as_(repo, "rita")
    assert rita.decisions.lead(4).id == 4 and rita.decisions.history(4) == []
    with pytest.raises(RoleRefused, match="review board, which reads and exports"):
        rita.decisions.accept(4)
    with pytest.raises(RoleRefused, match="does not take leads"):
        rita.decisions.take()
    with pytest.raises(RoleRefused, match="only a team lead may assign leads; rita is review board"):
        rita.team.assign_pool()


def test_a_login_not_on_the_team_is_told_how_to_join(repo):
    with pytest.raises(RoleRefused, match="zoe is not on the team: a team lead adds you with `triage team add zoe"):
        as_(repo, "zoe").decisions.accept(5)
    assert repo.get(5).stage is Stage.MQL


def test_only_a_team_lead_changes_the_team_reassigns_and_assigns(repo):
    anna = as_(repo, "anna")
    for call in (lambda: anna.team.add_member(TeamMember(login="x", name="X")),
                 lambda: anna.team.update_member("bob", capacity=2),
                 lambda: anna.team.reassign([6], "anna"),
                 lambda: anna.team.set_away("bob", date(2026, 12, 1), date(2026, 12, 5))):
        with pytest.raises(RoleRefused, match="only a team lead may"):
            call()
    assert anna.team.set_away("anna", date(2026, 12, 1), date(2026, 12, 5)).away == [
        AwayPeriod(since=date(2026, 12, 1), until=date(2026, 12, 5))]
    lena = as_(repo, "lena")
    assert lena.team.update_member("bob", capacity=2, cap=3).cap == 3
    with pytest.raises(TriageError, match="on the team already"):
        lena.team.add_member(TeamMember(login="anna", name="Anna"))


def test_an_empty_team_enforces_nothing(tmp_path):
    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'alone.db'}"))
    repo.add_leads([new_lead(LeadData(first_name="Solo"))])
    alone = as_(repo, "me")
    assert alone.context.role() is None and alone.decisions.accept(1).stage is Stage.SAL
    alone.team.add_member(TeamMember(login="me", name="Me", role=Role.LEAD))  # the first member: anyone
    assert as_(repo, "me").context.role() is Role.LEAD


def test_assign_the_pool_fairly_with_reasons_in_the_history(repo):
    lena = as_(repo, "lena")
    lena.team.update_member("bob", countries=["NL"])
    outcome = lena.team.assign_pool()
    given = {a.lead_id: a.login for a in outcome.assignments}
    assert len(given) == 30 and outcome.unassigned == []
    assert all(login == "anna" for lead_id, login in given.items() if repo.get(lead_id).country == "DE")
    assert {login for login in given.values()} == {"anna", "bob"}
    [event] = repo.history(10)
    assert event.action == "assign" and event.actor == "lena" and event.note.startswith(f"{given[10]}: ")
    assert "in the window at weight" in event.note
    assert lena.team.assign_pool().assignments == []  # nothing left in the pool


def test_assign_skips_away_and_full_reps(repo):
    lena = as_(repo, "lena")
    lena.team.set_away("bob", NOW.date() - timedelta(days=1), NOW.date() + timedelta(days=1))
    lena.team.update_member("anna", cap=4)
    outcome = lena.team.assign_pool(dry_run=True)
    assert {a.login for a in outcome.assignments} == {"anna"} and len(outcome.assignments) == 4
    assert "bob away until" in outcome.unassigned[0][1] and "anna at cap (4 open of 4)" in outcome.unassigned[0][1]
    assert repo.get(1).owner is None  # a dry run changes nothing


def test_replay_a_past_period_beside_what_happened(repo):
    lena = as_(repo, "lena")
    as_(repo, "anna").decisions.take()
    as_(repo, "anna").decisions.take()
    as_(repo, "bob").decisions.take()
    rows = {row.login: row for row in lena.team.replay(NOW - timedelta(days=3), NOW + timedelta(hours=1))}
    assert rows["anna"].actual_count == 2 and rows["bob"].actual_count == 1
    assert rows["anna"].replay_count + rows["bob"].replay_count == 30
    assert abs(rows["anna"].replay_count - 20) <= 2  # capacity 1 against bob's 0.5: two thirds, within the bound


def test_reassign_many_and_back_to_the_pool(repo):
    lena = as_(repo, "lena")
    assert lena.team.reassign([7, 8, 9], "bob") == [7, 8, 9]
    assert [repo.get(i).owner for i in (7, 8, 9)] == ["bob"] * 3
    assert lena.team.reassign([8], None) == [8] and repo.get(8).owner is None
    assert [(e.action, e.note) for e in repo.history(8)] == [
        ("reassign", "bob: reassigned by lena"), ("reassign", "pool: reassigned by lena")]
    with pytest.raises(TriageError, match="review board"):
        lena.team.reassign([7], "rita")


def test_sla_report_and_escalation_once(repo):
    lena = as_(repo, "lena")
    lena.team.reassign([30], "anna")
    now = NOW + timedelta(days=14)  # everything is long overdue by then
    found = lena.team.sla_report(now)
    assert len(found) == 30 and all(status.state.value == "breached" for _, status in found)
    acted = lena.team.apply_breach_policy(now)
    assert len(acted) == 30 and acted[0][1] == "escalated"
    assert lena.team.apply_breach_policy(now) == []  # once per lead
    assert repo.history(30)[-1].action == "escalate"


def test_balance_figures(repo):
    lena = as_(repo, "lena")
    lena.team.reassign([1, 2, 3], "anna")
    lena.team.reassign([4], "bob")
    as_(repo, "anna").decisions.accept(1)
    balance = lena.team.balance()
    rows = {row.member.login: row for row in balance.reps}
    assert set(rows) == {"lena", "anna", "bob"}
    assert (rows["anna"].open_leads, rows["anna"].accepted_this_week, rows["bob"].open_leads) == (2, 1, 1)
    assert sum(rows["anna"].ages.values()) == 2
    assert rows["anna"].window_count == 3 and rows["bob"].window_count == 1
    assert balance.count_spread == pytest.approx((3 - 2) / 2.5)  # 3 and 1/0.5 leads per capacity


def run(url, *args, login="lena"):
    out = io.StringIO()
    return main_as(login, ["--db", url, *args], out=out), out.getvalue()


def test_team_commands(url, repo, capsys):
    code, out = run(url, "team", "add", "kim", "--name", "Kim Berg", "--capacity", "0.5", "--cap", "5",
                    "--countries", "nl,be")
    assert code == 0 and "kim" in out and "cap 5" in out and "covers BE, NL" in out
    assert run(url, "team", "set", "kim", "--cap", "none", "--role", "lead")[0] == 0
    assert run(url, "team", "away", "kim", "--from", "2026-12-24", "--until", "2026-12-31")[0] == 0
    data = {member["login"]: member for member in json.loads(run(url, "team", "list", "--json")[1])}
    assert data["kim"]["cap"] is None and data["kim"]["role"] == "lead"
    assert data["kim"]["away"] == [{"since": "2026-12-24", "until": "2026-12-31"}]
    assert run(url, "team", "add", "x", "--name", "X", login="anna") == (1, "")
    assert "only a team lead may change the team; anna is rep" in capsys.readouterr().err
    assert run(url, "team", "away", "kim", "--from", "2026-12-31", "--until", "2026-12-24")[0] == 1
    assert "cannot end (2026-12-24) before it starts" in capsys.readouterr().err


def test_assign_reassign_and_sla_commands(url, repo):
    code, out = run(url, "assign", "--dry-run")
    assert code == 0 and "would assign 30 leads" in out and repo.get(1).owner is None
    code, out = run(url, "assign")
    assert code == 0 and "assigned 30 leads; 0 stay in the pool" in out
    code, out = run(url, "reassign", "1", "2", "--to", "pool")
    assert code == 0 and "reassigned 2 leads to the pool" in out
    code, out = run(url, "assign", "--replay", f"{(NOW - timedelta(days=3)).date()}..{NOW.date()}")
    assert code == 0 and "anna" in out and "bob" in out
    code, out = run(url, "sla", "--json")
    assert code == 0 and isinstance(json.loads(out), list)
    code, out = run(url, "sla")
    assert code == 0 and "breached" in out and "soon due" in out


def test_take_from_the_cli_prints_the_id_and_the_board_cannot(url, repo, capsys):
    code, out = run(url, "take", login="anna")
    assert code == 0 and repo.get(int(out)).owner == "anna"
    assert run(url, "take", login="rita") == (1, "")
    assert "does not take leads" in capsys.readouterr().err


async def test_the_balance_screen_through_the_pilot(repo):
    from test_app import press, settle
    from textual.widgets import DataTable, Static

    from screens.app import TriageApp
    from screens.balance import POOL, BalanceScreen

    lena = as_(repo, "lena")
    lena.team.reassign([1, 2, 3], "anna")
    lena.team.update_member("anna", cap=4)
    app = TriageApp(Services.open(repo, "lena"))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "b")
        screen = app.screen
        assert isinstance(screen, BalanceScreen)
        table = screen.query_one(DataTable)
        assert [key.value for key in table.rows] == [POOL, "anna", "bob", "lena"]
        anna = table.get_row("anna")
        assert str(anna[3]) == "3/4" and "█" in str(anna[4])
        assert "Fairness over 30 days" in str(screen.query_one("#balance-summary", Static).render())
        await press(app, pilot, "A")  # assign the pool: asked first
        await press(app, pilot, "y")
        assert repo.get(4).owner in ("anna", "bob") and repo.get(30).owner in ("anna", "bob")
        assert any("Assigned" in str(n.message) for n in app._notifications)
        await press(app, pilot, "down", "P")  # the highlighted rep, anna: her open leads back to the pool
        await pilot.press("y")
        await settle(app, pilot)
        assert repo.get(1).owner is None and str(table.get_row("anna")[3]) == "0/4"
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, BalanceScreen)


async def test_a_rep_on_the_balance_screen_is_refused_the_team_lead_keys(repo):
    from test_app import SIZE, press, settle

    from screens.app import TriageApp

    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "b")
        await press(app, pilot, "A")
        assert repo.get(4).owner is None
        assert any("only a team lead may assign leads; anna is rep" in str(n.message) for n in app._notifications)


async def test_a_team_lead_adds_and_edits_members_in_the_app(repo):
    from test_app import press, settle
    from textual.widgets import DataTable

    from screens.app import TriageApp
    from screens.member_dialog import MemberDialog

    app = TriageApp(Services.open(repo, "lena"))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "b")
        await press(app, pilot, "n")
        assert isinstance(app.screen, MemberDialog)
        await pilot.press(*"kim", "tab", *"Kim Berg", "tab", "tab", "backspace", *"0.5", "tab", "5", "tab", *"NL,BE")
        await press(app, pilot, "enter")
        kim = as_(repo, "lena").team.member("kim")
        assert (kim.name, kim.capacity, kim.cap, kim.countries) == ("Kim Berg", 0.5, 5, ["BE", "NL"])
        assert "kim" in [key.value for key in app.screen.query_one(DataTable).rows]
        await pilot.press("down", "down", "e")  # bob
        await settle(app, pilot)
        assert isinstance(app.screen, MemberDialog) and app.screen.member.login == "bob"
        await press(app, pilot, "tab", "tab", "end", "backspace", "backspace", "backspace", *"2", "enter")
        assert as_(repo, "lena").team.member("bob").capacity == 2
        await press(app, pilot, "e")  # bob again: away over Christmas
        await pilot.press("tab", "tab", "tab", "tab", "tab", "tab", *"2026-12-24", "tab", *"2026-12-31", "enter")
        await settle(app, pilot)
        assert [(str(p.since), str(p.until)) for p in as_(repo, "lena").team.member("bob").away] == [
            ("2026-12-24", "2026-12-31")]
        await press(app, pilot, "n")
        await press(app, pilot, *"zed", "tab", *"Zed", "tab", "tab", "backspace", *"lots", "enter")
        assert isinstance(app.screen, MemberDialog)  # stays open, saying why beside the capacity
        assert "not a number" in str(app.screen.query_one("#member-capacity-error").render())
        assert all(member.login != "zed" for member in repo.team())


@pytest.fixture
def spread(tmp_path):
    """MQLs handed over every 37 minutes over nine days before a Wednesday morning, a dozen
    more on one Saturday (all due at the same moment) and five at the very same moment."""
    now = datetime(2026, 12, 2, 10, 30, tzinfo=timezone.utc)
    moments = [now - timedelta(minutes=37 * k) for k in range(350)]
    moments += [datetime(2026, 11, 28, 9 + k % 6, k, tzinfo=timezone.utc) for k in range(12)]
    moments += [now - timedelta(hours=50)] * 5
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "spread.db")))
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}"), handed_over_at=at) for i, at in enumerate(moments)])
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD), TeamMember(login="anna", name="Anna")):
        repo.add_team_member(member)
    as_(repo, "lena").team.reassign(list(range(1, 300, 3)), "anna")
    return repo, now


def by_the_clock(repo, now):
    """Every open MQL's SLA status, lead by lead, as the clock says."""
    clock = as_(repo, "lena").team.sla_clock()
    return [(lead, clock.status(lead.stage, lead.handed_over_at, now)) for lead in repo.open_leads()]


def test_sla_most_urgent_first_and_the_summary_as_the_clock_says_lead_by_lead(spread):
    repo, now = spread
    lena = as_(repo, "lena").team
    urgent = sorted(((lead.id, status.hours_left) for lead, status in by_the_clock(repo, now)
                     if status.state.value != "ok"), key=lambda pair: (pair[1], pair[0]))
    breached = sum(1 for _, status in by_the_clock(repo, now) if status.state.value == "breached")
    assert 50 < len(urgent) and 0 < breached < len(urgent)
    assert lena.sla_summary(now) == (breached, len(urgent) - breached)
    assert [(lead.id, status.hours_left) for lead, status in lena.sla_report(now)] == urgent
    assert [(lead.id, status.hours_left) for lead, status in lena.sla_urgent(now, page=7)] == urgent
    for limit in (1, 5, 50, 300):
        assert [(lead.id, status.hours_left) for lead, status in lena.sla_report(now, limit=limit)] == urgent[:limit]


def test_balance_ages_and_breaches_as_the_clock_says_lead_by_lead(spread):
    repo, now = spread
    clock = as_(repo, "lena").team.sla_clock()
    expected: dict = {}
    for lead, status in by_the_clock(repo, now):
        row = expected.setdefault(lead.owner, {"open": 0, "breached": 0, "soon": 0, "ages": {}})
        age = clock.between(lead.handed_over_at, now)
        label = next(label for limit, label in ((8, "<8h"), (24, "8–24h"), (48, "24–48h"), (1e9, ">48h"))
                     if age < limit)
        row["open"] += 1
        row["ages"][label] = row["ages"].get(label, 0) + 1
        row["breached"] += status.state.value == "breached"
        row["soon"] += status.state.value == "soon"
    balance = as_(repo, "lena").team.balance(now)
    anna = next(row for row in balance.reps if row.member.login == "anna")
    for row, figures in ((balance.pool, expected[None]), (anna, expected["anna"])):
        assert (row.open_leads, row.breached, row.soon_due) == (figures["open"], figures["breached"], figures["soon"])
        assert {label: count for label, count in row.ages.items() if count} == figures["ages"]


def test_sla_on_the_command_line_lists_the_most_urgent_fifty_unless_all(spread, tmp_path):
    repo, _ = spread
    url = "sqlite:///" + str(tmp_path / "spread.db")
    breached, soon = as_(repo, "lena").team.sla_summary()
    code, out = run(url, "sla")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 52 and all(line.startswith("#") for line in lines[:50])
    assert lines[50] == f"the most urgent 50 of {breached + soon} (--all lists every one)"
    assert lines[51].startswith(f"{breached} breached, {soon} soon due")
    code, out = run(url, "sla", "--all")
    assert code == 0 and len(out.splitlines()) == breached + soon + 1
    code, out = run(url, "sla", "--json")
    assert len(json.loads(out)) == 50
    code, out = run(url, "sla", "--all", "--json")
    assert [item["id"] for item in json.loads(out)] == [lead.id for lead, _ in as_(repo, "lena").team.sla_report()]


def test_the_pool_assigned_batch_by_batch_as_all_at_once(repo):
    lena = as_(repo, "lena").team
    whole = lena.assign_pool(dry_run=True, now=NOW)
    batches = list(lena.assign_pool_batches(dry_run=True, now=NOW, batch=7))
    assert len(batches) == 5 and [len(batch.assignments) for batch in batches] == [7, 7, 7, 7, 2]
    assert [assignment for batch in batches for assignment in batch.assignments] == whole.assignments
    given = [assignment for batch in lena.assign_pool_batches(now=NOW, batch=4) for assignment in batch.assignments]
    assert given == whole.assignments and all(repo.get(a.lead_id).owner == a.login for a in given)


def small_team(url: str, leads: int, *reps: str) -> LeadRepository:
    """`leads` German leads in the pool, team lead lena and the reps named."""
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}", country="DE")) for i in range(1, leads + 1)])
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD),
                   *(TeamMember(login=login, name=login.title()) for login in reps)):
        repo.add_team_member(member)
    return repo


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_batch_given_skips_leads_taken_meanwhile_and_logs_each_given_one(database, url, request):
    if database == "postgres":
        url = request.getfixturevalue("pg_url")
    repo = small_team(url, 8, "anna", "bob")
    lena = as_(repo, "lena").team
    planned = lena.assign_pool(dry_run=True, now=NOW)
    taken = as_(repo, "bob").decisions.take()
    assert taken is not None and taken.id in {a.lead_id for a in planned.assignments}
    given = [a for batch in lena.assign_pool_batches(now=NOW, batch=3) for a in batch.assignments]
    assert [a.lead_id for a in given] == [lead.id for lead in repo.open_leads(assigned=True) if lead.id != taken.id]
    assert repo.get(taken.id).owner == "bob" and [e.action for e in repo.history(taken.id)][-1] == "take"
    for assignment in given:
        lead = repo.get(assignment.lead_id)
        assert lead.owner == assignment.login and lead.version == 2 and lead.updated_by == "lena"
        assert [(e.action, e.note) for e in repo.history(lead.id)][-1] == ("assign", assignment.reason)
    assert repo.give_leads([(given[0].lead_id, "bob"), (given[0].lead_id, "anna")],
                           [AuditEvent(lead_id=0, actor="lena", at=NOW, action="assign", note="x")] * 2,
                           from_pool=True) == []  # not in the pool any more
    moved = repo.give_leads([(given[0].lead_id, "bob"), (given[0].lead_id, "anna")],
                            [AuditEvent(lead_id=0, actor="lena", at=NOW, action="reassign", note=n) for n in "ab"],
                            from_pool=False)
    assert moved == [given[0].lead_id] * 2 and repo.get(given[0].lead_id).owner == "anna"
    assert [e.note for e in repo.history(given[0].lead_id)][-2:] == ["a", "b"]
    repo.db.close()


def test_the_pool_given_leaves_the_connection_as_it_was_and_logs_each_lead_alike(url):
    from triage.domain.models import to_millisecond

    repo = small_team(url, 20, "anna", "bob")
    lena = as_(repo, "lena").team

    def settings():
        return (repo.db.cache_size, repo.db.wal_autocheckpoint, repo.db.execute_sql("PRAGMA threads").fetchone()[0],
                repo.db.execute_sql("PRAGMA foreign_keys").fetchone()[0])

    app_settings = settings()
    assert app_settings[2] == 0 and app_settings[3] == 1
    assert [settings()[2] for _ in lena.assign_pool_batches(dry_run=True, now=NOW, batch=6)] == [2] * 4
    given = []
    for batch in lena.assign_pool_batches(now=NOW, batch=6):
        assert settings()[2:] == (2, 0)  # SQLite's sorts on a second core; the foreign key checked at once
        given.extend(batch.assignments)
    assert settings() == app_settings and len(given) == 20 and not helpers()
    for assignment in given:
        *_, event = repo.history(assignment.lead_id)
        assert (event.action, event.actor, event.at, event.note) == ("assign", "lena", to_millisecond(NOW),
                                                                     assignment.reason)
        assert event.from_stage is event.to_stage is event.reason is event.prior is None
    repo.db.close()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_decision_on_a_lead_changed_elsewhere_since_it_was_taken_is_refused_as_stale(database, url, request):
    from triage.domain.errors import StaleLead

    if database == "postgres":
        url = request.getfixturevalue("pg_url")
    setup = small_team(url, 3, "anna")
    anna = as_(LeadRepository(open_database(url)), "anna").decisions
    lena = as_(LeadRepository(open_database(url)), "lena")
    taken = anna.take()
    assert anna.context.store.get_at(taken.id, taken.version) == taken
    lena.decisions.set_grade(taken.id, "B")  # on another connection: anna's copy is old now
    with pytest.raises(StaleLead):
        anna.accept(taken.id, expected_version=taken.version)
    assert setup.get(taken.id).stage is Stage.MQL and setup.get(taken.id).grade == "B"
    current = setup.get(taken.id)
    assert anna.context.store.get_at(taken.id, current.version) == current  # read, not remembered
    accepted = anna.accept(taken.id, expected_version=current.version)
    assert accepted.stage is Stage.SAL and setup.get(taken.id).stage is Stage.SAL and accepted.grade == "B"
    for repo in (setup, anna.context.store, lena.context.store):
        repo.db.close()


def schema_of(repo, *names):
    return {name: sql for name, sql in repo.db.execute_sql(
        f"SELECT name, sql FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})", names).fetchall()}


OWNED = ("lead_queue", "lead_handed", "audit_outbox")


def test_a_big_pool_is_given_in_one_transaction_with_the_owner_indexes_built_again(url, tmp_path, monkeypatch):
    from storage import repository

    monkeypatch.setattr(repository, "BULK_POOL_LEADS", 10)  # 20 pool leads of 20: a big pool
    repo = small_team(url, 20, "anna", "bob")
    repo.add_leads([new_lead(LeadData(first_name=f"Late{i}", country="NL"), handed_over_at=NOW) for i in range(3)])
    before = schema_of(repo, *OWNED)
    assert set(before) == set(OWNED)
    lena = as_(repo, "lena").team
    planned = lena.assign_pool(dry_run=True, now=NOW)
    onlooker = LeadRepository(open_database(url))  # another connection, as another terminal
    given = []
    for batch in lena.assign_pool_batches(now=NOW, batch=6):
        given.extend(batch.assignments)
        assert schema_of(repo, *OWNED) == {}  # dropped inside the transaction
        assert onlooker.count_leads() == 23 and not onlooker.open_leads(assigned=True)  # nothing given yet
        assert set(schema_of(onlooker, *OWNED)) == set(OWNED)
    assert given == planned.assignments and len(given) == 23
    assert schema_of(repo, *OWNED) == before
    for assignment in given:
        lead = repo.get(assignment.lead_id)
        assert (lead.owner, lead.version, lead.updated_by) == (assignment.login, 2, "lena")
        assert [(e.action, e.actor, e.note) for e in repo.history(lead.id)][-1] == ("assign", "lena", assignment.reason)
    plan = repo.db.execute_sql('EXPLAIN QUERY PLAN SELECT "id" FROM "lead" WHERE "stage" = ? AND "owner" = ? '
                               'ORDER BY "queue_key", "id" LIMIT 5', ("mql", "anna")).fetchall()
    assert "lead_queue" in str(plan)
    accepted = as_(repo, "anna").decisions.accept(next(a.lead_id for a in given if a.login == "anna"))
    assert repo.db.execute_sql('SELECT "lead_id", "kind" FROM "outbox"').fetchall() == [(accepted.id, "accepted")]
    assert repo.db.execute_sql("SELECT name FROM sqlite_temp_master").fetchall() == []
    onlooker.db.close()
    repo.db.close()


def test_a_small_pool_is_given_with_the_indexes_kept(url):
    repo = small_team(url, 12, "anna", "bob")
    repo.add_leads([new_lead(LeadData(first_name="Taken", country="DE"))])
    as_(repo, "anna").decisions.take()
    before = schema_of(repo, *OWNED)
    for _ in as_(repo, "lena").team.assign_pool_batches(now=NOW, batch=5):
        assert schema_of(repo, *OWNED) == before
    assert len(repo.open_leads(assigned=True)) == 13
    repo.db.close()


def test_an_assignment_broken_off_or_failing_leaves_the_pool_as_it_was(url, monkeypatch):
    from storage import repository

    monkeypatch.setattr(repository, "BULK_POOL_LEADS", 10)
    repo = small_team(url, 20, "anna", "bob")
    before = schema_of(repo, *OWNED)
    lena = as_(repo, "lena").team
    batches = lena.assign_pool_batches(now=NOW, batch=6)
    assert len(next(batches).assignments) == 6
    batches.close()  # the team lead's screen closed, the command interrupted
    assert not repo.open_leads(assigned=True) and schema_of(repo, *OWNED) == before
    assert all(e.action != "assign" for lead in repo.pool_leads() for e in repo.history(lead.id))
    repo.db.execute_sql('CREATE TRIGGER "refuse_owner" BEFORE UPDATE OF "owner" ON "lead" '
                        "BEGIN SELECT RAISE(ABORT, 'owner refused'); END")
    with pytest.raises(TriageError, match="owner refused; nothing was assigned"):
        for _ in lena.assign_pool_batches(now=NOW, batch=6):
            pass
    assert not repo.open_leads(assigned=True) and schema_of(repo, *OWNED) == before
    repo.db.execute_sql('DROP TRIGGER "refuse_owner"')
    with pytest.raises(TriageError, match="NOT NULL.*; nothing was assigned"):  # a page kept by the second thread
        with repo.assigning_pool(AuditEvent(lead_id=0, actor="lena", at=NOW, action="assign")) as pool:
            for page in pool.pages(6):
                pool.give([(page[0][0], None, "no rep")])
    with pytest.raises(TriageError, match="1 of the leads to give are not in the database; nothing was assigned"):
        for number, batch in enumerate(lena.assign_pool_batches(now=NOW, batch=6)):
            if number == 1:  # in the transaction, as nobody else can
                repo.db.execute_sql('DELETE FROM "lead" WHERE "id" = ?', (batch.assignments[0].lead_id,))
    assert not helpers() and repo.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert repo.count_leads() == 20
    assert not repo.open_leads(assigned=True) and schema_of(repo, *OWNED) == before
    assert len(lena.assign_pool(now=NOW).assignments) == 20 and len(repo.open_leads(assigned=True)) == 20
    repo.db.close()


def helpers():
    """The threads a bulk assignment lent its connection to, still running."""
    import threading

    return [thread for thread in threading.enumerate() if thread.name.startswith("pool-copy")]
