"""What the review board reads of a return: its note, who returned it, the board's own
verdict and note, in the review and in the `returned` export, dates in the order things
happened."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from storage import LeadRepository, open_database
from triage.domain.errors import TriageError
from triage.domain.models import LeadData, ReturnDecision, Role, TeamMember, to_millisecond
from triage.services import Services, new_lead
from triage.services.review import RETURNED_COLUMNS
from logins import main_as

NOW = to_millisecond(datetime.now(timezone.utc))  # as triage keeps times
HANDED = NOW - timedelta(days=3)


@pytest.fixture
def url(tmp_path):
    return "sqlite:///" + str(tmp_path / "review.db")


@pytest.fixture
def repo(url):
    """Five leads handed over three days ago, as an import hands them over, and what
    became of them: see each test."""
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}", email=f"l{i}@firma.de"),
                             created_at=HANDED, handed_over_at=HANDED) for i in range(1, 6)])
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD), TeamMember(login="anna", name="Anna"),
                   TeamMember(login="rita", name="Rita", role=Role.BOARD),
                   TeamMember(login="marketing", name="Marketing", role=Role.MARKETING)):
        repo.add_team_member(member)
    anna, rita, marketing = (Services.open(repo, login) for login in ("anna", "rita", "marketing"))
    anna.decisions.return_lead(1, ReturnDecision(reason="no_fit", path="disqualify", note="too small"))
    rita.review.overturn_return(1, "they grew: look again")
    anna.decisions.return_lead(2, ReturnDecision(reason="not_ready", path="nurture", note="next year"))
    rita.review.confirm_return(2, "agreed, nurture")
    anna.decisions.return_lead(3, ReturnDecision(reason="not_ready", path="nurture"))
    marketing.decisions.recycle(3)
    anna.decisions.return_lead(3, ReturnDecision(reason="capacity", path="nurture", note="full this week"))
    anna.decisions.return_lead(4, ReturnDecision(reason="no_fit", path="nurture", note="wrong size"))
    rita.review.overturn_return(4, "right size after all")
    anna.decisions.return_lead(4, ReturnDecision(reason="contract", path="nurture", contract_until=(NOW + timedelta(days=90)).date()))
    return repo


def rows(repo, login="rita"):
    columns, found = Services.open(repo, login).transfer.export_rows("returned")
    return columns, list(found)


def test_the_export_has_the_boards_verdict_and_note(repo):
    columns, found = rows(repo)
    assert columns == RETURNED_COLUMNS
    assert {"review", "reviewed_by", "reviewed_at", "review_note"} <= set(columns)
    by_lead = {}
    for row in found:
        by_lead.setdefault(row["lead_id"], []).append(row)
    [one] = by_lead[1]
    assert (one["note"], one["returned_by"], one["review"], one["reviewed_by"], one["review_note"]) == (
        "too small", "anna", "overturned", "rita", "they grew: look again")
    assert one["stage_now"] == "mql" and one["reviewed_at"] == repo.history(1)[-1].at
    [two] = by_lead[2]
    assert (two["note"], two["review"], two["reviewed_by"], two["review_note"]) == (
        "next year", "confirmed", "rita", "agreed, nurture")
    # A verdict belongs to the return it judged, not to the lead's later returns.
    first, second = by_lead[4]
    assert (first["review"], first["review_note"]) == ("overturned", "right size after all")
    assert (second["review"], second["reviewed_by"], second["reviewed_at"], second["review_note"]) == ("", "", None, "")
    assert second["note"].startswith("contract until ")
    assert [row["review"] for row in by_lead[3]] == ["", ""]


def test_the_dates_of_each_row_are_in_the_order_things_happened(repo):
    _, found = rows(repo)
    for row in found:
        assert row["handed_over_at"] <= row["returned_at"], row
        if row["reviewed_at"] is not None:
            assert row["returned_at"] <= row["reviewed_at"], row
    by_lead = {}
    for row in found:
        by_lead.setdefault(row["lead_id"], []).append(row)
    # Overturned: the export shows the hand-over the return answered, not the overturn's.
    [one] = by_lead[1]
    assert one["handed_over_at"] == HANDED and repo.get(1).handed_over_at >= one["returned_at"]  # (same ms here)
    # Returned, recycled, returned again: the second return answered the recycle.
    first, second = by_lead[3]
    recycled = next(event.at for event in repo.history(3) if event.action == "recycle")
    assert first["handed_over_at"] == HANDED and second["handed_over_at"] == recycled
    assert first["returned_at"] <= second["handed_over_at"] <= second["returned_at"]  # ties: the same millisecond
    # Overturned, then returned again: the second return answered the overturn.
    first, second = by_lead[4]
    assert first["handed_over_at"] == HANDED and second["handed_over_at"] == first["reviewed_at"]
    # Nothing handed over again: the lead's own hand-over.
    [two] = by_lead[2]
    assert two["handed_over_at"] == repo.get(2).handed_over_at == HANDED


def test_the_csv_and_json_exports_carry_the_review_in_order(url, repo, tmp_path):
    path = tmp_path / "returned.csv"
    out = io.StringIO()
    assert main_as("rita", ["--db", url, "export", "returned", "-o", str(path)], out=out) == 0
    with open(path, encoding="utf-8-sig", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert len(table) == 6
    [one] = [row for row in table if row["lead_id"] == "1"]
    assert (one["review"], one["reviewed_by"], one["review_note"]) == ("overturned", "rita", "they grew: look again")
    for row in table:
        moments = [datetime.fromisoformat(row[name]) for name in ("handed_over_at", "returned_at", "reviewed_at")
                   if row[name]]
        assert moments == sorted(moments), row
    out = io.StringIO()
    assert main_as("rita", ["--db", url, "export", "returned", "-o", "-", "--format", "json"], out=out) == 0
    data = json.loads(out.getvalue())
    assert [row["review"] for row in data if row["lead_id"] == 2] == ["confirmed"]


def test_the_review_gives_the_screen_each_returns_note_and_verdict(repo):
    review = Services.open(repo, "rita").review.review(NOW - timedelta(days=1), NOW + timedelta(days=1))
    items = {(item.lead.id, item.event.reason.value): item for item in review.returns}
    one = items[(1, "no_fit")]
    assert (one.note, one.returned_by, one.reviewed, one.reviewed_by, one.review_note) == (
        "too small", "anna", "overturned", "rita", "they grew: look again")
    assert one.handed_over_at == HANDED and one.reviewed_at >= one.event.at
    assert (items[(2, "not_ready")].reviewed, items[(2, "not_ready")].review_note) == ("confirmed", "agreed, nurture")
    assert items[(4, "no_fit")].reviewed == "overturned" and items[(4, "contract")].reviewed == ""
    assert items[(3, "capacity")].note == "full this week" and items[(3, "capacity")].handed_over_at > HANDED


def test_a_return_is_confirmed_once(repo):
    rita = Services.open(repo, "rita")
    with pytest.raises(TriageError, match=r"^the return of lead 2 is confirmed already, by rita on \d{4}-"):
        rita.review.confirm_return(2, "again")
    assert [event.action for event in repo.history(2)].count("board confirm") == 1
    # The board may still change its mind and overturn what it confirmed.
    assert rita.review.overturn_return(2, "on second thought").stage.value == "mql"
