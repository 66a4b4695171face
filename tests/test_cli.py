"""The command line: every command, its JSON, and its error paths."""

import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import re

import pytest

from storage import LeadRepository, open_database
from triage.cli.main import main
from triage.domain.scoring import CAPPED, FLOORED
from triage.domain.models import Channel, Interest, LeadData, Role, Stage, TeamMember
from triage.services import new_lead
from logins import main_as

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path):
    return "sqlite:///" + str(tmp_path / "cli.db")


def run(db, *args, login="anna"):
    out = io.StringIO()
    code = main_as(login, ["--db", db, *args], out=out)
    return code, out.getvalue()


@pytest.fixture
def seeded(db):
    """40 pool leads; anna (who seeded) is team lead, bob and carl are reps."""
    assert run(db, "seed", "--leads", "40", "--reps", "3", "--seed", "7")[0] == 0
    repo = LeadRepository(open_database(db))
    for login in ("bob", "carl"):
        repo.add_team_member(TeamMember(login=login, name=login.title(), role=Role.REP))
    return db


def test_seed_fills_the_pool_and_the_team(db):
    code, out = run(db, "seed", "--leads", "300", "--reps", "4", "--seed", "3")
    assert code == 0 and "seeded 300 leads" in out
    repo = LeadRepository(open_database(db))
    leads = list(repo.list_leads())
    assert len(leads) == 300
    assert all(lead.stage is Stage.MQL and lead.owner is None for lead in leads)
    assert {lead.channel for lead in leads} == set(Channel)
    assert {lead.interest for lead in leads} == set(Interest)
    assert any(lead.is_handraiser for lead in leads)
    assert any(lead.existing_customer for lead in leads)
    assert any(not lead.phone or not lead.salutation or not lead.job_title for lead in leads)
    assert any(lead.email_domain in ("gmail.com", "gmx.de", "web.de", "ziggo.nl", "hotmail.com", "outlook.com",
                                     "yahoo.com", "t-online.de", "icloud.com") for lead in leads)
    assert {lead.country for lead in leads} >= {"DE", "NL", "GB"}
    team = {member.login: member.role.value for member in repo.team()}
    assert len(team) == 5 and team["anna"] == "lead"


def test_seed_is_deterministic_and_assign_spreads_over_reps(tmp_path):
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    for url in (first, second):
        run(url, "seed", "--leads", "30", "--reps", "3", "--seed", "11", "--assign")
    names = [[(lead.name, lead.email, lead.owner) for lead in LeadRepository(open_database(url)).list_leads()]
             for url in (first, second)]
    assert names[0] == names[1]
    owners = [owner for _, _, owner in names[0]]
    assert None not in owners and len(set(owners)) == 3
    assert max(owners.count(o) for o in set(owners)) == 10


def test_list_text_and_json_with_filters(seeded):
    run(seeded, "accept", "1")
    code, out = run(seeded, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["id", "stage", "owner", "score"] and len(lines) == 41
    code, out = run(seeded, "list", "--stage", "sal", "--json")
    [only] = json.loads(out)
    assert (only["id"], only["stage"], only["owner"]) == (1, "sal", "anna")
    for field in ("score", "email", "channel", "interest", "creditworthiness", "emails_clicked",
                  "handed_over_at", "recycle_count", "version"):
        assert field in only
    assert len(json.loads(run(seeded, "list", "--owner", "anna", "--json")[1])) == 1
    assert len(json.loads(run(seeded, "list", "--stage", "mql", "--limit", "5", "--json")[1])) == 5
    assert json.loads(run(seeded, "list", "--owner", "nobody", "--json")[1]) == []


def test_show_text_and_json_with_history(seeded):
    run(seeded, "return", "3", "--reason", "contract", "--path", "nurture", "--until", "2027-03-31", "--note", "call back")
    code, out = run(seeded, "show", "3")
    assert code == 0
    assert "Qualification checklist" in out and "complete" in out and "History" in out
    assert "reason contract, path nurture" in out and "contract until 2027-03-31; call back" in out
    data = json.loads(run(seeded, "show", "3", "--json")[1])
    assert data["stage"] == "returned" and data["owner"] is None
    assert [item["question"] for item in data["checklist"]][:3] == ["channel", "complete", "serious"]
    [event] = data["history"]
    assert (event["actor"], event["from_stage"], event["to_stage"], event["reason"], event["path"]) == (
        "anna", "mql", "returned", "contract", "nurture")


def test_accept_and_return_both_paths(seeded):
    code, out = run(seeded, "accept", "1")
    assert code == 0 and out.startswith("accepted #1 ") and "MQL → SAL" in out
    code, out = run(seeded, "return", "2", "--reason", "not_ready", "--path", "nurture", login="bob")
    assert code == 0 and "MQL → returned (SRL)" in out
    code, out = run(seeded, "return", "4", "--reason", "other", "--path", "disqualify", "--note", "student")
    assert code == 0 and "disqualified" in out
    repo = LeadRepository(open_database(seeded))
    assert repo.get(1).stage is Stage.SAL and repo.get(1).owner == "anna"
    assert repo.history(2)[0].actor == "bob"
    assert (repo.get(4).stage, repo.history(4)[0].note) == (Stage.DISQUALIFIED, "student")


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["accept", "999"], 1, "triage: error: no lead with id 999"),
        (["show", "999"], 1, "triage: error: no lead with id 999"),
        (["return", "2", "--reason", "other", "--path", "nurture"], 1, "reason 'other' needs a note"),
        (["return", "2", "--reason", "no_fit", "--path", "nurture", "--until", "2027-01-01"], 1,
         "a contract end date only goes with reason 'contract'"),
    ],
)
def test_refusals_print_one_line_and_exit_1(seeded, capsys, args, code, message):
    assert run(seeded, *args) == (code, "")
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_accepting_an_accepted_lead_says_so_and_who_accepted_it(seeded, capsys):
    run(seeded, "accept", "1", login="bob")
    capsys.readouterr()
    assert run(seeded, "accept", "1")[0] == 1
    err = capsys.readouterr().err.strip()
    assert re.fullmatch(r"triage: error: lead 1 is already accepted by bob on \d{4}-\d\d-\d\d \d\d:\d\d", err), err
    assert LeadRepository(open_database(seeded)).history(1)[0].to_stage is Stage.SAL
    run(seeded, "return", "2", "--reason", "no_fit", "--path", "nurture", login="carl")
    capsys.readouterr()
    assert run(seeded, "return", "2", "--reason", "no_fit", "--path", "nurture")[0] == 1
    assert "lead 2 is already returned (SRL) by carl on " in capsys.readouterr().err
    assert run(seeded, "accept", "2")[0] == 1
    assert "lead 2 is returned (SRL): marketing recycles it" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["return", "2", "--reason", "bored", "--path", "nurture"], "unknown reason 'bored'; choose from not_ready"),
        (["return", "2", "--reason", "no_fit", "--path", "bin"], "unknown path 'bin'; choose from nurture, disqualify"),
        (["return", "2", "--reason", "contract", "--path", "nurture", "--until", "soon"],
         "'soon' is not a day (DD.MM.YYYY, DD-MM-YYYY or YYYY-MM-DD)"),
        (["return", "2", "--reason", "contract", "--path", "nurture", "--until", "03/31/2027"],
         "'03/31/2027' is not a day (DD.MM.YYYY, DD-MM-YYYY or YYYY-MM-DD)"),
        (["return", "2", "--reason", "contract", "--path", "nurture", "--until", "31.02.2027"],
         "'31.02.2027' is not a day of the calendar"),
        (["list", "--stage", "hot"], "unknown stage 'hot'"),
        (["accept", "abc"], "'abc' is not a lead id"),
    ],
)
def test_usage_errors_exit_2(seeded, capsys, args, message):
    with pytest.raises(SystemExit) as caught:
        run(seeded, *args)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_database_urls_are_one_line(tmp_path, capsys):
    assert run("mysql://host/db", "list")[0] == 1
    assert "unsupported database URL 'mysql://host/db'" in capsys.readouterr().err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 200)
    assert run(f"sqlite:///{junk}", "list")[0] == 1
    err = capsys.readouterr().err
    assert "cannot open database" in err and "Traceback" not in err


def test_user_data_never_reaches_the_terminal_raw(db):
    repo = LeadRepository(open_database(db))
    repo.add_leads([new_lead(LeadData(first_name="Evil\x1b[2J", last_name="\x1b]0;owned\x07", company="[bold]x[/]",
                                      notes="line\x1b[31m"))])
    for args in (["list"], ["show", "1"], ["accept", "1"]):
        code, out = run(db, *args)
        assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "Evil\u241b[2J" in run(db, "show", "1")[1]
    assert json.loads(run(db, "show", "1", "--json")[1])["first_name"] == "Evil\x1b[2J"


def test_console_script_in_a_real_process(seeded):
    env = dict(os.environ, TRIAGE_DB=seeded, LOGNAME="carl")  # carl at his terminal
    done = subprocess.run([sys.executable, "-m", "triage.cli", "accept", "5"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0 and "accepted #5" in done.stdout
    done = subprocess.run([sys.executable, "-m", "triage.cli", "accept", "5"],
                          capture_output=True, text=True, env=dict(env, LOGNAME="anna"), cwd=ROOT)
    assert done.returncode == 1 and done.stderr.startswith("triage: error: lead 5 is already accepted by carl on ")
    triage = Path(sys.executable).parent / "triage"
    done = subprocess.run([str(triage), "list", "--stage", "sal", "--json", "--db", seeded],
                          capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, LOGNAME="carl"))
    assert done.returncode == 0 and json.loads(done.stdout)[0]["owner"] == "carl"
    help_text = subprocess.run([str(triage), "return", "--help"], capture_output=True, text=True).stdout
    assert "--reason" in help_text and "not_ready" in help_text


def test_demo_seeds_once_and_opens_the_app_for_the_login(db, monkeypatch):
    from screens.app import TriageApp

    opened = []
    monkeypatch.setattr(TriageApp, "run", lambda app: opened.append(app))
    assert run(db, "demo", login="dora")[0] == 0
    assert run(db, "demo", login="dora")[0] == 0
    assert LeadRepository(open_database(db)).count_leads() == 500
    assert [app.service.actor for app in opened] == ["dora", "dora"]
    assert run(db, login="erik")[0] == 0
    assert opened[-1].service.actor == "erik"


def test_recycle_brings_a_returned_lead_back_and_counts(seeded, capsys):
    run(seeded, "return", "6", "--reason", "not_ready", "--path", "nurture")
    assert run(seeded, "team", "add", "marketing", "--name", "Marketing", "--role", "marketing")[0] == 0
    assert run(seeded, "recycle", "6", login="bob")[0] == 1  # a rep does not recycle
    code, out = run(seeded, "recycle", "6", login="marketing")
    assert code == 0 and "returned (SRL) → MQL" in out and "recycled 1×" in out
    assert json.loads(run(seeded, "show", "6", "--json")[1])["recycle_count"] == 1
    assert run(seeded, "recycle", "7")[0] == 1
    assert "lead 7 is already an MQL" in capsys.readouterr().err


def test_show_json_has_the_score_and_a_breakdown_that_adds_up(seeded):
    for lead_id in (1, 2, 3, 4):
        data = json.loads(run(seeded, "show", str(lead_id), "--json")[1])
        assert data["score"] == sum(part["points"] for part in data["score_breakdown"])
        assert {"reason", "points"} == set(data["score_breakdown"][0]) and data["rules_version"]


def test_answer_and_grade_from_the_command_line(seeded):
    before = json.loads(run(seeded, "show", "5", "--json")[1])
    code, out = run(seeded, "answer", "5", "creditworthy", "A")
    assert code == 0 and "rated A (set by rep)" in out or "rated A (confirmed)" in out
    after = json.loads(run(seeded, "show", "5", "--json")[1])
    assert after["overrides"] == {"creditworthy": "A"}
    credit_points = 10 - {"unknown": 0, "A": 10, "B": 5, "C": -5, "D": -15}[before["creditworthiness"]]
    assert after["score"] == min(100, max(0, before["score"] + credit_points)) or after["score_breakdown"][-1]["reason"] in (CAPPED, FLOORED)
    assert after["history"][-1]["action"] == "answer"
    assert run(seeded, "grade", "5", "B")[0] == 0 and json.loads(run(seeded, "show", "5", "--json")[1])["grade"] == "B"
    assert run(seeded, "answer", "5", "creditworthy", "derived")[0] == 0
    assert json.loads(run(seeded, "show", "5", "--json")[1])["overrides"] == {}


def test_answer_refuses_a_value_that_does_not_fit(seeded, capsys):
    assert run(seeded, "answer", "5", "interest", "maybe") == (1, "")
    assert "'maybe' is not an answer to 'interest'" in capsys.readouterr().err


def test_scoring_report_with_too_few_decisions_says_so(seeded):
    run(seeded, "accept", "1")
    code, out = run(seeded, "scoring", "report")
    assert code == 0 and "Too few decisions to propose new points: 1 decided (1 accepted, 0 returned)" in out
    assert "): 1 decided lead, 1 accepted, 0 returned." in out
    data = json.loads(run(seeded, "scoring", "report", "--json")[1])
    assert data["proposed_version"] is None and data["decided"] == 1 and data["features"]


def test_scoring_report_adopts_a_proposal_and_rescores(seeded, tmp_path, monkeypatch):
    import random

    repo = LeadRepository(open_database(seeded))
    repo.add_leads(new_lead(LeadData(first_name=f"N{i}", interest=random.Random(i).choice(list(Interest))))
                   for i in range(400))
    rng = random.Random(1)
    for lead in list(repo.list_leads(stage=Stage.MQL)):
        accepted = rng.random() < (0.8 if lead.interest is Interest.DEMO_REQUEST else 0.3)
        args = ["accept", str(lead.id)] if accepted else ["return", str(lead.id), "--reason", "no_fit", "--path", "nurture"]
        assert run(seeded, *args)[0] == 0
    rules = tmp_path / "mine.toml"
    code, out = run(seeded, "--rules", str(rules), "scoring", "report", "--adopt")
    assert code == 1  # the rules file named does not exist yet
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code, out = run(seeded, "scoring", "report", "--adopt")
    assert code == 0 and "AUC" in out and "adopted rules version 2" in out and "scored 440 leads" in out
    code, out = run(seeded, "scoring", "history")
    assert code == 0 and "version 2" in out.splitlines()[-1] and "in force" in out.splitlines()[-1]
    assert json.loads(run(seeded, "show", "1", "--json")[1])["rules_version"].startswith("2#")


def test_a_bad_rules_file_is_one_line_naming_the_line(seeded, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('version = "1"\n[points]\nbase = 20\n[points.interest]\ndemo = 30\n')
    assert run(seeded, "--rules", str(bad), "show", "1") == (1, "")
    err = capsys.readouterr().err
    assert f"rules file {bad}, line 5: points.interest.demo" in err and len(err.strip().splitlines()) == 1


def test_scoring_show_prints_rules_that_read_back(seeded, tmp_path):
    code, out = run(seeded, "scoring", "show", "--default")
    assert code == 0 and "[points.channel]" in out and "# " in out
    mine = tmp_path / "mine.toml"
    mine.write_text(out.replace("demo_request = 30", "demo_request = 45").replace('version = "1"', 'version = "team-3"'))
    assert run(seeded, "--rules", str(mine), "scoring", "show")[1].count("demo_request = 45") == 0  # a proposal
    code, out = run(seeded, "scoring", "adopt", str(mine))
    assert code == 0 and "scored 40 leads with rules team-3#" in out
    assert run(seeded, "scoring", "show")[1].count("demo_request = 45") == 1


def test_take_prints_the_id_it_took_and_says_when_the_pool_is_empty(db, capsys):
    repo = LeadRepository(open_database(db))
    repo.add_leads([new_lead(LeadData(first_name="Only", interest="demo_request")), new_lead(LeadData(first_name="Two"))])
    assert run(db, "take", login="bob") == (0, "1\n")
    assert run(db, "take", login="anna") == (0, "2\n")
    assert run(db, "take") == (1, "")
    assert capsys.readouterr().err.strip() == "triage: error: the unassigned pool is empty: nothing to take"
    assert repo.get(1).owner == "bob" and repo.history(2)[0].action == "take"


# --- dates as people type them ---------------------------------------------------------

@pytest.mark.parametrize("typed", ["31.03.2027", "31-3-27", "2027-03-31", "31.3.2027"])
def test_the_contract_end_reads_days_as_people_type_them(seeded, typed):
    code, out = run(seeded, "return", "3", "--reason", "contract", "--path", "nurture", "--until", typed)
    assert code == 0 and "(contract)" in out
    assert LeadRepository(open_database(seeded)).history(3)[-1].note == "contract until 2027-03-31"


def test_away_periods_and_replay_read_days_as_people_type_them(seeded, capsys):
    assert run(seeded, "team", "away", "bob", "--from", "24.12.2026", "--until", "6-1-27") == (
        0, "bob away 2026-12-24..2027-01-06\n")
    [bob] = [m for m in json.loads(run(seeded, "team", "list", "--json")[1]) if m["login"] == "bob"]
    assert bob["away"] == [{"since": "2026-12-24", "until": "2027-01-06"}]
    code, out = run(seeded, "assign", "--replay", "01.03.2027..31-3-27")
    assert code == 0 and out.startswith("leads handed over 2027-03-01..2027-03-31, assigned again")
    assert run(seeded, "assign", "--replay", "2027-03-01..2027-03-31")[0] == 0
    for args, shown in ((["team", "away", "bob", "--from", "12/24/2026", "--until", "2027-01-06"], "'12/24/2026'"),
                        (["assign", "--replay", "1.3.27-31.3.27"], "'1.3.27-31.3.27' is not a period FROM..TO"),
                        (["assign", "--replay", "1.3.27..32.3.27"], "'32.3.27' is not a day")):
        with pytest.raises(SystemExit) as caught:
            run(seeded, *args)
        err = capsys.readouterr().err
        assert caught.value.code == 2 and shown in err and "DD.MM.YYYY, DD-MM-YYYY or YYYY-MM-DD" in err or (
            "calendar" in err), err


def test_export_periods_read_days_as_people_type_them(seeded):
    run(seeded, "return", "3", "--reason", "no_fit", "--path", "nurture")
    today = date.today()
    code, out = run(seeded, "export", "returned", "-o", "-", "--format", "json",
                    "--since", f"{today - timedelta(days=1):%d.%m.%Y}", "--until", f"{today + timedelta(days=1):%d-%m-%y}")
    assert code == 0 and [row["lead_id"] for row in json.loads(out)] == [3]
    code, out = run(seeded, "export", "returned", "-o", "-", "--format", "json",
                    "--until", f"{today - timedelta(days=1):%d.%m.%Y}")
    assert code == 0 and json.loads(out) == []


def test_a_capacity_reads_a_decimal_comma(seeded):
    assert run(seeded, "team", "set", "bob", "--capacity", "0,5")[0] == 0
    [bob] = [m for m in json.loads(run(seeded, "team", "list", "--json")[1]) if m["login"] == "bob"]
    assert bob["capacity"] == 0.5


# --- the database the app just used ------------------------------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user with their own data directory and no $TRIAGE_DB: the default and the demo
    databases are files in tmp_path/data/triage."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TRIAGE_DB", raising=False)
    return tmp_path / "data" / "triage"


def bare(*args, login="anna"):
    """`triage` without --db, as a new user types it."""
    out = io.StringIO()
    return main_as(login, list(args), out=out), out.getvalue()


@pytest.mark.parametrize("args", [["db", "check"], ["list"], ["list", "--json"], ["show", "1"], ["accept", "1"],
                                  ["team", "list"], ["sla"], ["scoring", "report"],
                                  ["export", "returned", "-o", "-"]])
def test_a_command_on_a_missing_sqlite_file_says_so_and_creates_nothing(tmp_path, capsys, args):
    missing = tmp_path / "nowhere" / "typo.db"
    assert run(f"sqlite:///{missing}", *args) == (1, "")
    err = capsys.readouterr().err
    assert f"there is no database at {missing} (nothing was created)" in err and len(err.splitlines()) == 1
    assert not missing.exists() and not missing.parent.exists()


def test_db_check_on_a_file_that_exists_and_seed_creating_one(db, capsys):
    assert run(db, "seed", "--leads", "1", "--reps", "1")[0] == 0
    code, out = run(db, "db", "check")
    assert code == 0 and "reachable" in out and "migrated" in out


def test_the_demo_names_its_database_and_the_cli_reaches_it(home, monkeypatch, capsys):
    from screens.app import TriageApp

    opened = []
    monkeypatch.setattr(TriageApp, "run", lambda app: opened.append(app))
    demo = home / "demo.db"
    code, out = bare("demo")
    assert code == 0 and len(opened) == 1
    assert f"the demo database is {demo}; add --demo to any command to work on it, e.g. `triage --demo list`" in out
    assert demo.exists() and not (home / "triage.db").exists()
    # The default database does not exist: said, with the way to the demo's leads.
    assert bare("list") == (1, "")
    err = capsys.readouterr().err
    assert f"there is no database at {home / 'triage.db'}" in err
    assert f"the demo's leads are in {demo}: add --demo, e.g. `triage --demo list`" in err
    assert not (home / "triage.db").exists()
    assert bare("db", "check")[0] == 1 and "the demo's leads are in" in capsys.readouterr().err
    code, out = bare("--demo", "list")
    assert code == 0 and len(out.splitlines()) == 501
    assert len(json.loads(bare("list", "--demo", "--json")[1])) == 500
    code, out = bare("--demo", "db", "check")
    assert code == 0 and str(demo) in out
    # The default database exists but is empty: the listing says where the leads are.
    assert bare("team", "add", "anna", "--name", "Anna", "--role", "lead")[0] == 0
    code, out = bare("list")
    assert code == 0 and out.split() == ["id", "stage", "owner", "score", "name", "company", "channel", "interest"]
    assert f"no leads in sqlite:///{home / 'triage.db'}; the demo's leads are in {demo}" in capsys.readouterr().err
    assert bare("show", "3")[0] == 1
    assert "no lead with id 3; the demo's leads are in" in capsys.readouterr().err
    assert bare()[0] == 0 and len(opened) == 2  # the app on the empty default database
    assert f"no leads in sqlite:///{home / 'triage.db'}; the demo's leads are in" in capsys.readouterr().err
    assert bare("--demo")[0] == 0 and opened[-1].service.context.store.count_leads() == 500
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit) as caught:
        bare("--demo", "--db", "sqlite:///x.db", "list")
    assert caught.value.code == 2 and "--demo and --db name two databases" in capsys.readouterr().err


def test_no_demo_hint_where_it_does_not_apply(home, db, capsys):
    assert bare("--demo", "list") == (1, "")
    assert "there is no demo database yet" in capsys.readouterr().err and not (home / "demo.db").exists()
    assert bare("list") == (1, "")
    err = capsys.readouterr().err
    assert "there is no database at" in err and "--demo" not in err  # no demo database: no hint
    assert run(db, "seed", "--leads", "0", "--reps", "1")[0] == 0
    assert run(db, "list")[0] == 0
    assert "no leads in" in capsys.readouterr().err and "--demo" not in capsys.readouterr().err


def test_the_help_names_the_demo_database(home, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "500")  # a temporary path has hyphens, where help text wraps
    for args in (["--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit):
            main(args)
        shown = " ".join(capsys.readouterr().out.split())
        assert str(home / "demo.db") in shown and "triage --demo list" in shown


# --- counts in the right number ----------------------------------------------------------

def test_messages_count_in_the_right_number(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    assert run(url, "seed", "--leads", "1", "--reps", "1")[1].startswith("seeded 1 lead and 1 rep into ")
    code, out = run(url, "assign")
    assert code == 0 and out.endswith("assigned 1 lead; 0 stay in the pool\n")
    assert run(url, "reassign", "1", "--to", "pool")[1] == "reassigned 1 lead to the pool\n"
    assert run(url, "assign", "--dry-run")[1].endswith("would assign 1 lead; 0 stay in the pool\n")
    assert run(url, "scoring", "rescore")[1].startswith("scored 0 leads with rules ")
    rules = tmp_path / "v2.toml"
    rules.write_text((ROOT / "triage" / "domain" / "default_rules.toml").read_text().replace('version = "1"', 'version = "2"'))
    assert run(url, "scoring", "adopt", str(rules))[1].splitlines()[-1].startswith("scored 1 lead with rules 2#")


def test_accepting_a_lead_that_moved_on_names_who_accepted_it(seeded, capsys):
    from triage.domain.models import AuditEvent, utcnow

    run(seeded, "accept", "4", login="bob")
    repo = LeadRepository(open_database(seeded))
    lead = repo.get(4)
    repo.change(lead, {"stage": Stage.SQL}, AuditEvent(lead_id=4, actor="carl", at=utcnow(), action="qualify",
                                                      from_stage=Stage.SAL, to_stage=Stage.SQL))
    capsys.readouterr()
    assert run(seeded, "accept", "4") == (1, "")
    err = capsys.readouterr().err
    assert re.fullmatch(r"triage: error: lead 4 is already accepted by bob on [\d: -]+; it is SQL now\n", err), err
