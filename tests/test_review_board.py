"""The review board: returns grouped, confirmed or overturned, through the services and the Pilot."""

from datetime import datetime, timedelta, timezone

import pytest
from test_app import press, settle
from textual.widgets import DataTable, Static

from screens.app import TriageApp
from screens.note_dialog import NoteDialog
from screens.review_board import ReviewBoard
from storage import LeadRepository, open_database
from triage.errors import TriageError
from triage.models import LeadData, ReturnDecision, Role, Stage, TeamMember
from triage.services import LeadService, new_lead
from triage.teamwork import RoleRefused

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
    anna = LeadService(repo, "anna")
    anna.return_lead(1, ReturnDecision(reason="no_fit", path="nurture", note="too small"))
    anna.return_lead(2, ReturnDecision(reason="no_fit", path="disqualify"))
    anna.return_lead(3, ReturnDecision(reason="not_ready", path="nurture"))
    LeadService(repo, "marketing").recycle(3)
    anna.accept(3)  # returned, recycled, then accepted: sales may have been wrong
    anna.accept(4)
    return repo


def period():
    return NOW - timedelta(days=1), NOW + timedelta(days=1)


def test_the_review_groups_returns_and_finds_the_later_accepted(repo):
    review = LeadService(repo, "rita").review(*period())
    assert [item.lead.id for item in review.returns] == [1, 2, 3]
    assert review.by_reason == {"no_fit": 2, "not_ready": 1} and review.by_rep == {"anna": 3}
    assert review.by_channel == {"event": (3, 3)}
    assert [item.lead.id for item in review.later_accepted] == [3]


def test_confirm_and_overturn_are_audited_and_for_the_board_and_team_leads(repo):
    rita = LeadService(repo, "rita")
    assert rita.confirm_return(1).stage is Stage.RETURNED
    assert repo.history(1)[-1].action == "board confirm"
    with pytest.raises(TriageError, match="needs a note"):
        rita.overturn_return(2, "  ")
    lead = rita.overturn_return(2, "they grew: look again")
    assert (lead.stage, lead.owner) == (Stage.MQL, None)
    event = repo.history(2)[-1]
    assert (event.action, event.from_stage, event.to_stage, event.note) == (
        "board overturn", Stage.DISQUALIFIED, Stage.MQL, "they grew: look again")
    with pytest.raises(TriageError, match="not returned: nothing to overturn"):
        rita.overturn_return(4, "why")
    with pytest.raises(RoleRefused, match="only the review board or a team lead may overturn returns; anna is rep"):
        LeadService(repo, "anna").overturn_return(1, "mine")


async def test_the_review_board_screen_confirms_and_overturns(repo):
    app = TriageApp(LeadService(repo, "rita"))
    async with app.run_test(size=(150, 45), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "v")
        screen = app.screen
        assert isinstance(screen, ReviewBoard)
        summary = str(screen.query_one("#review-summary", Static).render())
        assert "3 returns" in summary and "no_fit" in summary and "3 of 3" in summary
        assert "high: marketing may need to change" in summary and "later accepted: 1" in summary
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        await pilot.press("c")  # the first row: lead 1
        await settle(app, pilot)
        assert repo.history(1)[-1].action == "board confirm" and "confirmed" in str(table.get_row_at(0)[8])
        await press(app, pilot, "down", "o")
        assert isinstance(app.screen, NoteDialog)
        await press(app, pilot, *"look again", "enter")
        assert repo.get(2).stage is Stage.MQL and repo.history(2)[-1].note == "look again"
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, ReviewBoard)
