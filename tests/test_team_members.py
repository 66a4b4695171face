"""The team member form through the service: every field checked, capacity and days as people type them."""

from datetime import date

import pytest

from storage import LeadRepository, open_database
from triage.domain.errors import TriageError
from triage.domain.models import Role, TeamMember
from triage.services import Services
from triage.services.team import MemberInvalid, member_values


@pytest.fixture
def repo(tmp_path):
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "team.db")))
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    repo.add_team_member(TeamMember(login="anna", name="Anna"))
    return repo


def form(**fields):
    return {"login": "kim", "name": "Kim Berg", "role": "rep", "capacity": "1", "cap": "", "countries": "",
            "languages": "", "away-from": "", "away-until": ""} | fields


@pytest.mark.parametrize("typed, capacity", [("0,5", 0.5), ("0.5", 0.5), ("1", 1.0), ("", 1.0), (" 2 ", 2.0)])
def test_capacity_as_people_type_it(typed, capacity):
    values, errors = member_values(form(capacity=typed))
    assert errors == {} and values["capacity"] == capacity


@pytest.mark.parametrize("since, until", [
    ("31.03.2027", "2.4.2027"), ("31-3-27", "2-4-27"), ("2027-03-31", "2027-04-02")])
def test_away_days_as_people_type_them(since, until):
    values, errors = member_values(form(**{"away-from": since, "away-until": until}))
    assert errors == {} and (values["period"].since, values["period"].until) == (date(2027, 3, 31), date(2027, 4, 2))


def test_every_wrong_field_is_named_with_why():
    _, errors = member_values(form(login="k m", name=" ", capacity="lots", cap="five", countries="Deutschland",
                                   languages="german", **{"away-from": "31.03.2027"}))
    assert errors == {
        "login": "a login has no spaces", "name": "a team member needs a name",
        "capacity": "'lots' is not a number (e.g. 0,5 or 0.5)",
        "cap": "'five' is not a whole number of leads (empty: no cap)",
        "countries": "'Deutschland' is not a two-letter country code (e.g. DE)",
        "languages": "'german' is not a language code (e.g. de, nl, en)",
        "away-until": "an away period needs both days: from and until",
    }
    assert member_values(form(capacity="0"))[1] == {"capacity": "must be more than 0 (1 full time, 0,5 half)"}
    assert "cannot end (2027-03-01) before it starts (2027-03-31)" in member_values(
        form(**{"away-from": "31.03.2027", "away-until": "1.3.27"}))[1]["away-until"]
    assert "'32.13.2027' is not a day of the calendar" in member_values(
        form(**{"away-from": "32.13.2027", "away-until": "1.1.28"}))[1]["away-from"]


def test_save_member_stores_nothing_until_every_field_is_right(repo):
    lena = Services.open(repo, "lena")
    with pytest.raises(MemberInvalid) as refused:
        lena.team.save_member(form(capacity="0,x", countries="NL, BE"), new=True)
    assert set(refused.value.errors) == {"capacity"} and "capacity: '0,x' is not a number" in str(refused.value)
    assert [member.login for member in repo.team()] == ["anna", "lena"]
    kim = lena.team.save_member(form(capacity="0,5", cap="5", countries="NL, BE", languages="nl de",
                                **{"away-from": "24.12.2026", "away-until": "2-1-27"}), new=True)
    assert (kim.capacity, kim.cap, kim.countries, kim.languages) == (0.5, 5, ["BE", "NL"], ["de", "nl"])
    assert [(p.since, p.until) for p in lena.team.member("kim").away] == [(date(2026, 12, 24), date(2027, 1, 2))]
    with pytest.raises(MemberInvalid, match="kim is on the team already"):
        lena.team.save_member(form(), new=True)
    changed = lena.team.save_member(form(capacity="1,5", **{"away-from": "1.3.27", "away-until": "5.3.27"}), new=False)
    assert changed.capacity == 1.5 and len(changed.away) == 2 and changed.cap is None


def test_only_a_team_lead_saves_members(repo):
    with pytest.raises(TriageError, match="only a team lead may change the team; anna is rep"):
        Services.open(repo, "anna").team.save_member(form(), new=True)


def test_set_away_takes_days_as_people_type_them(repo):
    anna = Services.open(repo, "anna")
    member = anna.team.set_away("anna", "31.03.2027", "2-4-27")
    assert [(p.since, p.until) for p in member.away] == [(date(2027, 3, 31), date(2027, 4, 2))]
    with pytest.raises(TriageError, match="is not a day"):
        anna.team.set_away("anna", "Ostern", "2-4-27")
    with pytest.raises(TriageError, match="cannot end"):
        anna.team.set_away("anna", date(2027, 5, 2), date(2027, 5, 1))
