"""The review board: returns grouped, confirmed or overturned, through the services and the Pilot."""

from datetime import datetime, timedelta, timezone

import pytest
from screen_lines import in_view, terminal_lines
from test_app import press, settle
from textual.widgets import DataTable, Static

from screens.app import TriageApp
from screens.note_dialog import NoteDialog
from screens.return_detail import ReturnDetail
from screens.review_board import ReviewBoard
from storage import LeadRepository, open_database
from triage.domain.errors import TriageError
from triage.domain.models import LeadData, ReturnDecision, Role, Stage, TeamMember
from triage.services import Services, new_lead
from triage.domain.errors import RoleRefused

NOW = datetime.now(timezone.utc)


@pytest.fixture
def repo(tmp_path):
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "board.db")))
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}", last_name="X", email=f"l{i}@firma.de",
                                      channel="event" if i < 4 else "web_form"))
                    for i in range(1, 9)])
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD), TeamMember(login="anna", name="Anna"),
                   TeamMember(login="rita", name="Rita", role=Role.BOARD),
                   TeamMember(login="marketing", name="Marketing", role=Role.MARKETING)):
        repo.add_team_member(member)
    anna = Services.open(repo, "anna")
    anna.decisions.return_lead(1, ReturnDecision(reason="no_fit", path="nurture", note="too small"))
    anna.decisions.return_lead(2, ReturnDecision(reason="no_fit", path="disqualify"))
    anna.decisions.return_lead(3, ReturnDecision(reason="not_ready", path="nurture"))
    Services.open(repo, "marketing").decisions.recycle(3)
    anna.decisions.accept(3)  # returned, recycled, then accepted: sales may have been wrong
    anna.decisions.accept(4)
    return repo


def period():
    return NOW - timedelta(days=1), NOW + timedelta(days=1)


def test_the_review_groups_returns_and_finds_the_later_accepted(repo):
    review = Services.open(repo, "rita").review.review(*period())
    assert [item.lead.id for item in review.returns] == [1, 2, 3]
    assert review.by_reason == {"no_fit": 2, "not_ready": 1} and review.by_rep == {"anna": 3}
    assert review.by_channel == {"event": (3, 3)}
    assert [item.lead.id for item in review.later_accepted] == [3]


def test_the_store_counts_hand_overs_of_the_channels_asked_only(repo):
    assert repo.handed_over_by_channel(*period()) == {"event": 3, "web_form": 5}
    assert repo.handed_over_by_channel(*period(), ["event"]) == {"event": 3}
    assert repo.handed_over_by_channel(*period(), ["webinar"]) == {}


def test_confirm_and_overturn_are_audited_and_for_the_board_and_team_leads(repo):
    rita = Services.open(repo, "rita")
    assert rita.review.confirm_return(1).stage is Stage.RETURNED
    assert repo.history(1)[-1].action == "board confirm"
    with pytest.raises(TriageError, match="needs a note"):
        rita.review.overturn_return(2, "  ")
    lead = rita.review.overturn_return(2, "they grew: look again")
    assert (lead.stage, lead.owner) == (Stage.MQL, None)
    event = repo.history(2)[-1]
    assert (event.action, event.from_stage, event.to_stage, event.note) == (
        "board overturn", Stage.DISQUALIFIED, Stage.MQL, "they grew: look again")
    with pytest.raises(TriageError, match="not returned: nothing to overturn"):
        rita.review.overturn_return(4, "why")
    with pytest.raises(RoleRefused, match="only the review board or a team lead may overturn returns; anna is rep"):
        Services.open(repo, "anna").review.overturn_return(1, "mine")


async def test_the_review_board_screen_confirms_and_overturns(repo):
    app = TriageApp(Services.open(repo, "rita"))
    async with app.run_test(size=(150, 45), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "v")
        screen = app.screen
        assert isinstance(screen, ReviewBoard)
        summary = str(screen.query_one("#review-summary", Static).render())
        assert "3 returns" in summary and "not a fit yet (budget, size)     2" in summary and "3 of 3" in summary
        assert "high: marketing may need to change" in summary and "later accepted: 1" in summary
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        await pilot.press("c")  # the first row: lead 1
        await settle(app, pilot)
        assert repo.history(1)[-1].action == "board confirm" and "confirmed" in str(table.get_row_at(0)[8])
        await press(app, pilot, "down", "o")
        assert isinstance(app.screen, NoteDialog)
        await press(app, pilot, *"  ", "enter")  # no note: the dialog stays, saying why
        assert isinstance(app.screen, NoteDialog) and repo.get(2).stage is Stage.DISQUALIFIED
        assert in_view(app, "needs a note saying why")
        await press(app, pilot, *"look again", "enter")
        assert isinstance(app.screen, ReviewBoard)
        assert repo.get(2).stage is Stage.MQL and repo.history(2)[-1].note == "look again"
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, ReviewBoard)


async def test_a_return_opens_to_its_note_checklist_and_history_and_is_judged_there(repo):
    app = TriageApp(Services.open(repo, "rita"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "v")
        footer = terminal_lines(app)[-1]
        assert "Back" in footer and "Help" in footer and "Open" in footer
        await press(app, pilot, "enter")  # lead 1: returned for no fit, "too small"
        detail = app.screen
        assert isinstance(detail, ReturnDetail) and detail.lead_id == 1
        assert in_view(app, "Returned", "by anna", "not a fit", "back to nurture", "note too small")
        assert "Qualification checklist" in str(detail.query_one("#return-lead", Static).render())
        await press(app, pilot, "end")  # the rest is a scroll away
        assert in_view(app, "History", "anna return") and not in_view(app, "note too small")
        footer = terminal_lines(app)[-1]
        assert "Back" in footer and "Confirm" in footer and "Overturn" in footer
        shown = str(detail.query_one("#return-lead", Static).render())
        assert "Lead1 X" in shown and "anna return" in shown and "l1@firma.de" in shown
        await press(app, pilot, "c")
        assert isinstance(app.screen, ReviewBoard) and repo.history(1)[-1].action == "board confirm"
        assert any("Return of #1 confirmed" in str(n.message) for n in app._notifications)
        await press(app, pilot, "down", "enter")  # lead 2, disqualified
        assert isinstance(app.screen, ReturnDetail) and app.screen.lead_id == 2
        assert in_view(app, "disqualified", "no note")
        await press(app, pilot, "o")
        assert isinstance(app.screen, NoteDialog)
        await press(app, pilot, "enter")  # an empty note: refused, the dialog stays
        assert isinstance(app.screen, NoteDialog) and in_view(app, "needs a note")
        await press(app, pilot, *"they grew", "enter")
        assert isinstance(app.screen, ReviewBoard) and repo.get(2).stage is Stage.MQL
        assert repo.history(2)[-1].note == "they grew"
        await press(app, pilot, "down", "enter", "escape")  # opened and left: nothing changes
        assert isinstance(app.screen, ReviewBoard) and repo.history(3)[-1].action == "accept"


async def test_a_rep_on_a_return_is_refused_confirming_it(repo):
    app = TriageApp(Services.open(repo, "lena"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "v")
        await press(app, pilot, "enter")
        repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.REP))
        await press(app, pilot, "c")
        assert isinstance(app.screen, ReturnDetail) and repo.history(1)[-1].action == "return"
        assert any("only the review board or a team lead may confirm returns" in str(n.message)
                   for n in app._notifications)
