"""The score's breakdown, checklist overrides, the scoring report and rescoring, in the app."""

import random
import re

import pytest
from screen_lines import in_view, terminal_lines
from test_app import SIZE, T0, detail_text, lead, press, settle
from textual.widgets import DataTable, OptionList, Static

from screens.app import TriageApp
from screens.checklist_dialog import ChecklistDialog
from screens.confirm_dialog import ConfirmDialog
from screens.scoring_report import ScoringReport
from screens.work_progress import WorkProgress
from storage import LeadRepository, open_database
from triage.domain.calibration import is_held_back
from triage.domain.models import LeadData, ReturnDecision, Role, Stage, TeamMember
from triage.domain.rules import load_rules
from triage.services import Services, new_lead


@pytest.fixture
def repo(tmp_path):
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "app.db")))
    repo.add_leads([
        lead(0, first_name="Anna", last_name="Müller", email="anna@gmx.de", interest="demo_request", emails_clicked=3),
        lead(1, first_name="Bram", last_name="de Vries"),
    ])
    return repo


async def test_the_breakdown_of_the_highlighted_lead_adds_up_to_its_score(repo):
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        shown = detail_text(app)
        stored = repo.get(1)
        flat = " ".join(shown.split())
        assert f"score {stored.score} +20 base" in flat
        assert "+30 demo request" in flat and "-10 webmail" in flat and "+6 3 clicks" in flat
        parts = [int(points) for points in re.findall(r"([+-]\d+) ", flat.split("score", 1)[1].split("handed over")[0])]
        assert sum(parts) == stored.score


async def test_an_override_through_the_keys_changes_the_score_and_is_in_the_history(repo):
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        before = repo.get(1)
        await press(app, pilot, "c")
        assert isinstance(app.screen, ChecklistDialog)
        await pilot.press("down", "down", "enter")  # serious: webmail address (gmx.de)
        assert app.screen.query_one("#checklist-answers", OptionList).display
        await pilot.press("down", "enter")  # no warning signs
        await settle(app, pilot)
        after = repo.get(1)
        assert after.overrides == {"serious": "yes"} and after.score == before.score + 10
        [event] = repo.history(1)
        assert (event.action, event.actor) == ("answer", "anna") and "serious set" in event.note
        shown = " ".join(detail_text(app).split())
        assert f"score {after.score}" in shown and "set by rep; data: webmail address (gmx.de)" in shown
        assert "answer" in shown and any("score" in str(n.message) for n in app._notifications)


async def test_escape_in_the_checklist_goes_back_then_cancels(repo):
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "c")
        await pilot.press("enter", "escape")
        assert isinstance(app.screen, ChecklistDialog)
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, ChecklistDialog) and repo.get(1).version == 1


async def test_a_grade_is_kept_beside_the_score(repo):
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "c")
        await pilot.press("end", "enter", "down", "down", "enter")  # grade: B
        await settle(app, pilot)
        assert repo.get(1).grade == "B" and "grade B" in " ".join(detail_text(app).split())


async def test_leads_scored_by_other_rules_are_scored_again_on_start(tmp_path):
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "old.db")))
    repo.add_leads([new_lead(LeadData(first_name=f"Old{i}"), score=77, handed_over_at=T0) for i in range(30)])
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await settle(app, pilot)
        assert Services.open(repo, "anna").scoring.count_to_rescore() == 0
        assert repo.get(1).score != 77 and repo.get(1).rules_version == load_rules().stamp
        assert not app.queue_screen.query_one("#rescore-work", WorkProgress).running


def decide_many(repo, count=400):
    rng = random.Random(5)
    repo.add_leads([new_lead(LeadData(first_name=f"D{i}", interest=rng.choice(["inquiry", "demo_request"]),
                                      channel=rng.choice(["event", "paid_ads"])), handed_over_at=T0)
                    for i in range(count)])
    service = Services.open(repo, "lena")
    for lead_row in list(repo.list_leads(stage=Stage.MQL))[2:]:
        if rng.random() < (0.8 if lead_row.interest.value == "demo_request" else 0.25):
            service.decisions.accept(lead_row.id)
        else:
            service.decisions.return_lead(lead_row.id, ReturnDecision(reason="no_fit", path="nurture"))


async def test_the_scoring_report_shows_too_few_decisions(repo):
    Services.open(repo, "anna").decisions.accept(2)
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "s")
        assert isinstance(app.screen, ScoringReport)
        summary = str(app.screen.query_one("#scoring-summary", Static).render())
        assert "Too few decisions" in summary
        assert app.screen.query_one(DataTable).row_count >= 5
        await pilot.press("A")  # nothing to adopt: the key does nothing
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, ScoringReport)


def decide_against_the_held_back(repo, count=400):
    """Decisions that teach the fit the opposite of what the held-back quarter shows: the
    proposal then ranks the held-back decisions worse than the rules in force."""
    rng = random.Random(5)
    repo.add_leads([new_lead(LeadData(first_name=f"D{i}", last_name="X",
                                      interest=rng.choice(["inquiry", "demo_request"])), handed_over_at=T0)
                    for i in range(count)])
    service = Services.open(repo, "lena")
    for lead_row in list(repo.list_leads(stage=Stage.MQL))[2:]:
        demo = lead_row.interest.value == "demo_request"
        likely = demo if is_held_back(lead_row.id) else not demo
        if rng.random() < (0.85 if likely else 0.15):
            service.decisions.accept(lead_row.id)
        else:
            service.decisions.return_lead(lead_row.id, ReturnDecision(reason="no_fit", path="nurture"))


async def test_a_team_lead_adopts_the_proposal_from_the_screen_after_a_confirmation(repo):
    decide_many(repo)
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    app = TriageApp(Services.open(repo, "lena"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "s")
        report = app.screen.report
        summary = str(app.screen.query_one("#scoring-summary", Static).render())
        assert "AUC" in summary and "Press A to adopt" in summary
        table = app.screen.query_one(DataTable)
        assert "interest.demo_request" in [key.value for key in table.rows]
        await press(app, pilot, "A")
        assert isinstance(app.screen, ConfirmDialog) and repo.rules_versions() == []
        assert in_view(app, "Adopt the proposed points as rules version 2?",
                       f"in force (version 1): {report.auc_current:.3f}",
                       f"proposed (version 2): {report.auc_proposed:.3f}")
        assert not report.ranks_worse and not in_view(app, "ranks the held-back decisions worse")
        await press(app, pilot, "y")
        await settle(app, pilot)
        assert not isinstance(app.screen, (ScoringReport, ConfirmDialog))
        adopted = Services.open(repo, "anna").scoring.rules_in_force()
        assert adopted.version == "2" and repo.get(1).rules_version == adopted.stamp
        assert any("Adopted rules version 2" in str(n.message) for n in app._notifications)
        await press(app, pilot, "s")  # right after adopting: the same decisions, the same points
        summary = " ".join(str(app.screen.query_one("#scoring-summary", Static).render()).split())
        assert "nothing new to propose" in summary and "Press A" not in summary
        assert f"current {report.auc_proposed:.3f}" in summary
        await press(app, pilot, "A")
        assert isinstance(app.screen, ScoringReport) and Services.open(repo, "lena").scoring.rules_in_force().version == "2"


async def test_adopting_a_proposal_that_ranks_worse_warns_and_no_keeps_the_rules(repo):
    decide_against_the_held_back(repo)
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    app = TriageApp(Services.open(repo, "lena"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "s")
        report = app.screen.report
        assert report.auc_proposed < report.auc_current
        await press(app, pilot, "A")
        assert isinstance(app.screen, ConfirmDialog)
        assert in_view(app, "⚠ The proposal ranks the held-back decisions worse",
                       f"in force (version 1): {report.auc_current:.3f}",
                       f"proposed (version 2): {report.auc_proposed:.3f}")
        await press(app, pilot, "enter")  # the focused button, No, with a warning
        assert isinstance(app.screen, ScoringReport) and repo.rules_versions() == []
        await press(app, pilot, "A")
        await press(app, pilot, "n")
        assert isinstance(app.screen, ScoringReport) and repo.rules_versions() == []
        await press(app, pilot, "A")
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ScoringReport) and repo.rules_versions() == []
        assert Services.open(repo, "lena").rules.version == "1"


async def test_a_rep_cannot_adopt(repo):
    decide_many(repo)
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    repo.add_team_member(TeamMember(login="anna", name="Anna", role=Role.REP))
    app = TriageApp(Services.open(repo, "anna"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "s")
        await press(app, pilot, "A")
        assert isinstance(app.screen, ScoringReport) and repo.rules_versions() == []
        assert any("only a team lead may adopt" in str(n.message) for n in app._notifications)


async def test_the_scoring_report_at_80x24_keeps_back_and_help_in_view_and_help_lists_its_keys(repo):
    decide_many(repo)
    app = TriageApp(Services.open(repo, "lena"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "s")
        footer = terminal_lines(app)[-1]
        assert "Back" in footer and "Help" in footer and "Adopt" in footer
        await press(app, pilot, "question_mark")
        assert in_view(app, "Make the proposed points the rules in force", "Read the team's rules in force again")
        assert not in_view(app, "Accept the lead")  # the queue's keys are not this screen's
