"""Every command reads and changes leads through the services, with the role checks."""

from __future__ import annotations

import io
import json

import pytest

from storage import LeadRepository, open_database
from triage.domain.models import LeadData, ReturnDecision, Role, Stage, TeamMember
from triage.services import Services, new_lead
from logins import main_as


def run(url, login, *args):
    out = io.StringIO()
    return main_as(login, ["--db", url, *args], out=out), out.getvalue()


@pytest.fixture
def team(tmp_path):
    url = f"sqlite:///{tmp_path / 'roles.db'}"
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}", email=f"l{i}@firma.de")) for i in range(6)])
    for login, role in (("lena", Role.LEAD), ("rita", Role.REP), ("ralf", Role.REP), ("bert", Role.BOARD),
                        ("mia", Role.MARKETING)):
        repo.add_team_member(TeamMember(login=login, name=login.title(), role=role))
    Services.open(repo, "lena").team.reassign([1, 2], "rita")
    Services.open(repo, "lena").team.reassign([3], "ralf")
    return url, repo


def listed(url, login) -> list[int]:
    code, out = run(url, login, "list", "--json")
    assert code == 0
    return [lead["id"] for lead in json.loads(out)]


def test_a_rep_lists_and_shows_only_their_own_and_the_pools_leads(team):
    url, _ = team
    assert listed(url, "rita") == [1, 2, 4, 5, 6]
    assert listed(url, "bert") == listed(url, "lena") == [1, 2, 3, 4, 5, 6]
    assert run(url, "rita", "show", "3")[0] == 1
    assert run(url, "rita", "show", "4")[0] == 0


def test_somebody_not_on_the_team_reads_nothing(team, capsys):
    url, _ = team
    assert run(url, "nobody", "list", "--json") == (1, "")
    assert "not on the team" in capsys.readouterr().err
    assert run(url, "nobody", "show", "1") == (1, "")
    assert run(url, "nobody", "export", "leads", "-o", "-") == (1, "")


def test_recycling_and_handing_over_are_marketings_moves(team):
    url, repo = team
    lena = Services.open(repo, "lena")
    for lead_id in (4, 5):
        lena.decisions.return_lead(lead_id, ReturnDecision(reason="not_ready", path="nurture"))
    assert run(url, "rita", "recycle", "4")[0] == 1
    assert run(url, "bert", "recycle", "4")[0] == 1
    assert repo.get(4).stage is Stage.RETURNED
    assert run(url, "mia", "recycle", "4")[0] == 0
    assert run(url, "lena", "recycle", "5")[0] == 0
    assert (repo.get(4).stage, repo.get(5).stage) == (Stage.MQL, Stage.MQL)


def test_marketing_exports_the_suppression_list_but_not_the_returns(team):
    url, _ = team
    assert run(url, "mia", "export", "suppression", "-o", "-")[0] == 0
    assert run(url, "mia", "export", "returned", "-o", "-")[0] == 1
    assert run(url, "rita", "export", "suppression", "-o", "-")[0] == 1


def test_the_audit_trail_keeps_no_copy_of_a_persons_contact_data(tmp_path):
    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'gdpr.db'}"))
    person = LeadData(first_name="Zebulon", last_name="Quuxmann", email="zebulon.quuxmann@gmx.de",
                      phone="+49 30 9182736", company="Quux GmbH", job_title="Einkauf")
    repo.add_leads([new_lead(person)])
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("email,first_name,last_name,phone,emails_opened\n"
                        "zebulon.quuxmann@gmx.de,Zebulon,Quuxmann,+49 30 9182736,4\n", encoding="utf-8")
    anna = Services.open(repo, "anna")
    anna.transfer.import_file(csv_file)
    anna.decisions.set_answer(1, "serious", "yes")
    anna.decisions.set_grade(1, "B")
    anna.decisions.accept(1)
    anna.decisions.return_lead(1, ReturnDecision(reason="not_ready", path="nurture", note="call again in spring"))
    anna.decisions.recycle(1)
    anna.decisions.take()
    events = repo.history(1)
    assert len(events) >= 6
    recorded = " ".join(json.dumps(event.model_dump(mode="json")) for event in events).casefold()
    for value in ("zebulon", "quuxmann", "9182736", "quux gmbh"):
        assert value not in recorded


def test_on_sqlite_who_acts_is_the_system_login_and_only_a_team_lead_acts_as_another(team, capsys):
    url, repo = team
    assert main_as("rita", ["--db", url, "--as", "ralf", "accept", "3"]) == 1  # a rep claims to be ralf
    assert "only a team lead may act as another member; rita is rep" in capsys.readouterr().err
    assert main_as("stranger", ["--db", url, "--as", "lena", "accept", "3"]) == 1
    assert repo.get(3).stage is Stage.MQL
    assert main_as("lena", ["--db", url, "--as", "ralf", "accept", "3"]) == 0
    accepted = repo.history(3)[-1]
    assert (accepted.actor, repo.get(3).owner) == ("lena as ralf", "ralf")
    assert main_as("rita", ["--db", url, "accept", "1"]) == 0 and repo.history(1)[-1].actor == "rita"
