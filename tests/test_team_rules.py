"""The team's rules live in the database, versioned; a rules file on a machine is a proposal.

No member's start scores the team's leads with rules from their own machine: two members
starting the app with different local rules files leave every lead scored by the version
in force, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import os

import pytest

from storage import LeadRepository, open_database
from triage.cli.main import main, service_for
from logins import main_as, system_login
from triage.domain.models import Role, TeamMember
from triage.domain.rules import default_rules, rules_to_toml


def run(url, *args, login=None):
    out = io.StringIO()
    if login is None:  # PostgreSQL: the connection's user
        return main(["--db", url, *args], out=out), out.getvalue()
    return main_as(login, ["--db", url, *args], out=out), out.getvalue()


def rules_file(path, version: str, demo_points: int):
    text = rules_to_toml(default_rules()).replace('version = "1"', f'version = "{version}"')
    path.write_text(text.replace("demo_request = 30", f"demo_request = {demo_points}"))
    return path


@pytest.fixture
def sqlite_team(tmp_path):
    url = f"sqlite:///{tmp_path / 'team.db'}"
    assert run(url, "seed", "--leads", "30", "--reps", "0", login="lena")[0] == 0
    repo = LeadRepository(open_database(url))
    repo.add_team_member(TeamMember(login="rita", name="Rita", role=Role.REP))
    return url, repo


def stamps(repo) -> set[str]:
    return {lead.rules_version for lead in repo.list_leads()}


def test_a_rules_file_given_is_a_proposal_that_says_what_it_would_change(sqlite_team, tmp_path, capsys):
    url, repo = sqlite_team
    before = stamps(repo)
    proposal = rules_file(tmp_path / "mine.toml", "mine-1", 45)
    code, _ = run(url, "--rules", str(proposal), "scoring", "rescore", login="lena")
    err = capsys.readouterr().err
    assert code == 0 and "is a proposal" in err and "points.interest.demo_request: 30 → 45" in err
    assert "triage scoring adopt" in err
    assert stamps(repo) == before and repo.rules_versions() == []


def test_a_team_lead_adopts_a_version_and_reverts_to_an_earlier_one(sqlite_team, tmp_path):
    url, repo = sqlite_team
    first = rules_file(tmp_path / "first.toml", "team-2", 45)
    second = rules_file(tmp_path / "second.toml", "team-3", 50)
    assert run(url, "scoring", "adopt", str(first), login="rita")[0] == 1  # a rep may not
    assert run(url, "scoring", "adopt", str(first), login="lena")[0] == 0
    assert run(url, "scoring", "adopt", str(second), login="lena")[0] == 0
    assert {stamp.split("#")[0] for stamp in stamps(repo)} == {"team-3"}
    code, out = run(url, "scoring", "revert", "1", login="lena")
    assert code == 0 and "in force again, as #3" in out
    assert {stamp.split("#")[0] for stamp in stamps(repo)} == {"team-2"}
    code, out = run(url, "scoring", "history", login="rita")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3 and "lena" in lines[0] and "revert to #1" in lines[2]
    assert lines[2].endswith("in force") and not lines[1].endswith("in force")


def test_a_team_leads_own_rules_file_becomes_the_first_version_but_a_reps_does_not(sqlite_team, tmp_path,
                                                                                      monkeypatch):
    url, repo = sqlite_team
    monkeypatch.setenv("TRIAGE_RULES", str(rules_file(tmp_path / "rita.toml", "rita-9", 10)))
    with system_login("rita"):
        assert service_for(["--db", url]).rules.version == "1"
    assert repo.rules_versions() == []
    monkeypatch.setenv("TRIAGE_RULES", str(rules_file(tmp_path / "lena.toml", "lena-2", 40)))
    with system_login("lena"):
        assert service_for(["--db", url]).rules.version == "lena-2"
    [adopted] = repo.rules_versions()
    assert adopted.adopted_by == "lena" and "rules file in force before" in adopted.note


async def start_and_settle(service) -> None:
    from screens.app import TriageApp

    app = TriageApp(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


async def members_start_with_their_own_rules(repo, urls_and_logins, tmp_path, monkeypatch):
    lead_url, lead_login = urls_and_logins["lead"]
    adopted = rules_file(tmp_path / "team.toml", "team-2", 45)
    assert run(lead_url, "scoring", "adopt", str(adopted), login=lead_login)[0] == 0
    in_force = repo.rules_versions()[-1].stamp
    assert stamps(repo) == {in_force}
    for role, version, points in (("rep", "rep-9", 5), ("lead", "lead-7", 60)):
        url, login = urls_and_logins[role]
        monkeypatch.setenv("TRIAGE_RULES", str(rules_file(tmp_path / f"{role}.toml", version, points)))
        with system_login(login or os.environ.get("LOGNAME", "")):
            service = service_for(["--db", url])
        await start_and_settle(service)
        assert stamps(repo) == {in_force}


async def test_members_starting_with_other_rules_files_change_no_score_on_sqlite(sqlite_team, tmp_path, monkeypatch):
    url, repo = sqlite_team
    await members_start_with_their_own_rules(repo, {"lead": (url, "lena"), "rep": (url, "rita")}, tmp_path,
                                             monkeypatch)


async def test_members_starting_with_other_rules_files_change_no_score_on_postgres(postgres_server, tmp_path,
                                                                                   monkeypatch):
    from test_team_logins import Team

    team = Team(postgres_server, monkeypatch)
    assert run(team.owner_url, "seed", "--leads", "30", "--reps", "0")[0] == 0
    team.add("rita", "rep")
    team.add("lena", "lead")
    repo = LeadRepository(open_database(team.owner_url))
    await members_start_with_their_own_rules(
        repo, {"lead": (team.url("lena"), None), "rep": (team.url("rita"), None)}, tmp_path, monkeypatch)
    assert [found.adopted_by for found in repo.rules_versions()] == [team.login("lena")]
