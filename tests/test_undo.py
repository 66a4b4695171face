"""Undo of a rep's last accept or return: the rule in the service, on a real SQLite file."""

import pytest

from storage import LeadRepository, open_database
from triage.domain.errors import TriageError
from triage.domain.models import AuditEvent, LeadData, ReturnDecision, Stage, TeamMember, utcnow
from triage.services import Services, new_lead
from logins import main_as


@pytest.fixture(params=["sqlite", "postgres"])
def repo(request, tmp_path):
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path / "undo.db")
    else:
        url = request.getfixturevalue("pg_url")
    repo = LeadRepository(open_database(url))
    repo.add_leads([
        new_lead(LeadData(first_name="Anna", last_name="Müller", company="Acme GmbH"), actor="marketing"),
        new_lead(LeadData(first_name="Bram", last_name="de Vries"), owner="anna", actor="marketing"),
        new_lead(LeadData(first_name="Clara", last_name="Schmidt"), owner="bob", actor="marketing"),
    ])
    return repo


def snapshot(lead):
    """Everything of a lead but its version and who changed it when."""
    return lead.model_dump(exclude={"version", "updated_at", "updated_by"})


def test_undo_of_an_accept_from_the_pool_puts_the_lead_back_in_the_pool(repo):
    anna = Services.open(repo, "anna")
    before = repo.get(1)
    anna.decisions.accept(1)
    lead, undone = anna.decisions.undo_last()
    assert (lead.stage, lead.owner) == (Stage.MQL, None)
    assert snapshot(repo.get(1)) == snapshot(before)
    assert undone.action == "accept" and undone.lead_id == 1
    accept, undo = repo.history(1)
    assert (undo.action, undo.actor, undo.from_stage, undo.to_stage) == ("undo", "anna", Stage.SAL, Stage.MQL)
    assert undo.note == "undid the accept of lead 1 (MQL → SAL)"


def test_undo_of_an_accept_of_an_own_lead_keeps_it_the_reps(repo):
    anna = Services.open(repo, "anna")
    anna.decisions.accept(2)
    lead, _ = anna.decisions.undo_last()
    assert (lead.stage, lead.owner) == (Stage.MQL, "anna")
    assert repo.get(2).owner == "anna"


def test_undo_of_a_return_brings_back_stage_and_owner_and_keeps_the_return_in_the_history(repo):
    anna = Services.open(repo, "anna")
    before = repo.get(2)
    anna.decisions.return_lead(2, ReturnDecision(reason="contract", path="disqualify", note="bound", contract_until="2027-03-31"))
    assert (repo.get(2).stage, repo.get(2).owner) == (Stage.DISQUALIFIED, None)
    lead, undone = anna.decisions.undo_last()
    assert snapshot(repo.get(2)) == snapshot(before) and (lead.stage, lead.owner) == (Stage.MQL, "anna")
    ret, undo = repo.history(2)
    assert (ret.reason, ret.path, ret.note) == ("contract", "disqualify", "contract until 2027-03-31; bound")
    assert undo.note == "undid the return of lead 2 (contract, disqualify)"


def test_a_team_lead_undoes_the_return_of_a_reps_lead_back_to_that_rep(repo):
    repo.add_team_member(TeamMember(login="lena", name="Lena", role="lead"))
    lena = Services.open(repo, "lena")
    lena.decisions.return_lead(3, ReturnDecision(reason="capacity", path="nurture"))
    lead, _ = lena.decisions.undo_last()
    assert (lead.stage, lead.owner) == (Stage.MQL, "bob")


def test_undo_is_refused_when_someone_else_changed_the_lead_since(repo):
    anna = Services.open(repo, "anna")
    anna.decisions.return_lead(1, ReturnDecision(reason="not_ready", path="nurture"))
    Services.open(repo, "marketing").decisions.recycle(1)
    with pytest.raises(TriageError, match=r"cannot undo your return of lead 1 \(not_ready, nurture\): "
                                          r"marketing changed lead 1 since .*nothing was changed"):
        anna.decisions.undo_last()
    assert repo.get(1).stage is Stage.MQL and repo.get(1).recycle_count == 1
    assert [event.action for event in repo.history(1)] == ["return", "recycle"]


def test_undo_is_refused_when_the_rep_changed_the_lead_since(repo):
    anna = Services.open(repo, "anna")
    lead = anna.decisions.accept(2)
    anna.decisions.set_grade(2, "B", expected_version=lead.version)
    with pytest.raises(TriageError, match="you changed lead 2 since"):
        anna.decisions.undo_last()
    assert repo.get(2).stage is Stage.SAL


def test_only_the_last_decision_and_only_once(repo):
    anna = Services.open(repo, "anna")
    with pytest.raises(TriageError, match="nothing to undo: you have not accepted or returned a lead yet"):
        anna.decisions.undo_last()
    anna.decisions.accept(1)
    anna.decisions.accept(2)
    lead, _ = anna.decisions.undo_last()
    assert lead.id == 2
    with pytest.raises(TriageError, match="nothing to undo: your last decision is undone already"):
        anna.decisions.undo_last()
    assert repo.get(1).stage is Stage.SAL  # the earlier accept stays
    assert anna.decisions.last_decision() is None


def test_another_reps_decision_is_not_yours_to_undo(repo):
    Services.open(repo, "bob").decisions.accept(1)
    with pytest.raises(TriageError, match="nothing to undo"):
        Services.open(repo, "anna").decisions.undo_last()
    assert repo.get(1).stage is Stage.SAL


def test_a_decision_stored_without_its_prior_state_is_not_undone(repo):
    lead = repo.get(1)
    repo.change(lead, {"stage": Stage.SAL, "owner": "anna"},
                AuditEvent(lead_id=1, actor="anna", at=utcnow(), action="accept",
                           from_stage=Stage.MQL, to_stage=Stage.SAL))
    with pytest.raises(TriageError, match="stored before triage kept what an undo needs"):
        Services.open(repo, "anna").decisions.undo_last()
    assert repo.get(1).stage is Stage.SAL


def test_triage_undo_on_the_command_line(tmp_path, capsys):
    import io


    url = "sqlite:///" + str(tmp_path / "cli.db")
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name="Anna", last_name="Müller"), actor="marketing")])

    def run(*args):
        out = io.StringIO()
        return main_as("anna", ["--db", url, *args], out=out), out.getvalue()

    assert run("return", "1", "--reason", "no_fit", "--path", "disqualify")[0] == 0
    code, printed = run("undo")
    assert code == 0 and printed == "undid your return of #1 Anna Müller: back to MQL, in the unassigned pool\n"
    assert repo.get(1).stage is Stage.MQL and repo.history(1)[-1].action == "undo"
    code, printed = run("undo")
    assert code != 0 and "nothing to undo" in capsys.readouterr().err


def test_an_undone_decision_counts_neither_for_the_scoring_nor_for_the_review_board(repo):
    anna = Services.open(repo, "anna")
    anna.decisions.accept(1)
    anna.decisions.return_lead(2, ReturnDecision(reason="no_fit", path="nurture"))
    assert {lead.id: accepted for lead, accepted in repo.decided_leads()} == {1: True, 2: False}
    assert [lead_id for lead_id, _ in repo.return_events()] == [2]
    anna.decisions.undo_last()  # the return of lead 2
    assert {lead.id: accepted for lead, accepted in repo.decided_leads()} == {1: True}
    assert repo.return_events() == []
    anna.decisions.return_lead(2, ReturnDecision(reason="not_ready", path="nurture"))  # decided again: counts
    assert [event.reason for _, event in repo.return_events()] == ["not_ready"]
    assert {lead.id: accepted for lead, accepted in repo.decided_leads()} == {1: True, 2: False}
