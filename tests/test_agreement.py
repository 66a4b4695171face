"""The volume agreement both ways: the domain's comparison, and the months counted in the
database (SQLite and the tests' PostgreSQL server)."""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from logins import main_as
from storage import LeadRepository, open_database
from triage.domain import agreement, language
from triage.domain.models import LeadData, ReturnDecision, Role, TeamMember
from triage.domain.rules import Agreement
from triage.domain.sla import BusinessClock
from triage.services import Services, new_lead

UTC = timezone.utc


def test_an_answer_is_decided_by_its_hand_over_hours_due_times_or_measured_between():
    clock = BusinessClock()
    chance = random.Random(16)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    dues = {hour: (first, last) for hour, first, last in
            agreement.dues_by_hour(clock, 48, start, start + timedelta(days=21))}
    decided = 0
    for _ in range(3000):
        handed = start + timedelta(minutes=chance.randrange(60 * 24 * 20))
        answered = handed + timedelta(minutes=chance.randrange(60 * 24 * 9))
        first, last = dues[f"{handed:%Y-%m-%d %H}"]
        within = clock.between(handed, answered) <= 48
        if answered <= first:
            assert within, (handed, answered)
        elif answered > last:
            assert not within, (handed, answered)
        else:
            continue
        decided += 1
    assert decided > 2700  # most answers are counted by their hand-over hour alone


def test_the_months_both_sides_and_the_current_month_by_its_share_so_far():
    now = datetime(2026, 12, 16, tzinfo=UTC)  # half of December gone
    assert agreement.months_back(now, 2) == ["2026-10", "2026-11", "2026-12"]
    assert agreement.months_back(datetime(2027, 1, 5, tzinfo=UTC), 1) == ["2026-12", "2027-01"]
    october, november, december = agreement.compare(
        Agreement(mqls_per_month=50, answered_in_time=0.9), ["2026-10", "2026-11", "2026-12"],
        {"2026-10": 42, "2026-11": 55, "2026-12": 24}, {"2026-10": 40, "2026-11": 10},
        {"2026-10": 39, "2026-11": 8}, now)
    assert (october.marketing_kept, october.sales_kept) == (False, True)
    assert "marketing 42 of 50 MQLs (short by 8)" in october.line() and "39 of 40 answers" in october.line()
    assert (november.marketing_kept, november.sales_kept) == (True, False)
    assert "80%, agreed 90%" in november.line()
    assert december.current and december.due == 24 and december.marketing_kept
    assert "2026-12 so far" in december.line() and "none yet" in december.line()
    with language.speaking("de"):
        assert december.short().startswith("Dez. 2026 bisher") and october.line().startswith("Okt. 2026")
    with language.speaking("nl"):
        assert november.short().startswith("nov 2026")


def _team_with_answers(url: str, *, dated: bool = True) -> LeadRepository:
    """Five leads handed over on Monday 2 November 2026 (09:30 in Berlin, 08:30 UTC), whose
    48 business hours (08:00-18:00 on working days) run out on Friday at 17:30 Berlin time:
    one answered on Tuesday, one on Friday at 17:20 and one at 17:40 (the same hour) and one
    weeks later. Not `dated`: all of it now."""
    repo = LeadRepository(open_database(url))
    repo.add_leads([new_lead(LeadData(first_name=f"L{n}", email=f"l{n}@firma.de")) for n in range(5)])
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    handed = datetime(2026, 11, 2, 8, 30)
    if dated:
        repo.db.execute_sql(f'UPDATE "lead" SET "handed_over_at" = {repo.db.param}, "created_at" = {repo.db.param}',
                            (handed, handed))
    answers = iter([datetime(2026, 11, 3, 10, 0), datetime(2026, 11, 6, 16, 20), datetime(2026, 11, 6, 16, 40),
                    datetime(2026, 11, 27, 9, 0)])
    clock = (lambda: next(answers).replace(tzinfo=UTC)) if dated else (lambda: datetime.now(UTC))
    lena = Services.open(repo, "lena", clock=clock).decisions
    lead_ids = sorted(lead.id for lead in lena.list_leads())
    lena.accept(lead_ids[0])
    lena.accept(lead_ids[1])
    lena.return_lead(lead_ids[2], ReturnDecision(reason="not_ready", path="nurture"))
    lena.accept(lead_ids[3])
    return repo


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'volume.db'}"
    return request.getfixturevalue("pg_url")


def test_the_months_are_counted_in_the_database_by_the_sla_clock(url):
    repo = _team_with_answers(url)
    services = Services.open(repo, "lena")
    october, november, december = services.team.volume(2, now=datetime(2026, 12, 2, 12, tzinfo=UTC))
    assert (october.handed_over, october.answered) == (0, 0)
    assert (november.handed_over, november.answered, november.answered_in_time) == (5, 4, 2)
    assert not november.sales_kept and not november.marketing_kept
    assert (december.handed_over, december.answered) == (0, 0)


def test_triage_sla_volume_prints_and_says_it_in_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'volume.db'}"
    repo = _team_with_answers(url, dated=False)
    repo.add_team_member(TeamMember(login="anna", name="Anna"))
    out = io.StringIO()
    assert main_as("lena", ["--db", url, "sla", "--volume", "--json", "--months", "1"], out=out) == 0
    last, current = json.loads(out.getvalue())
    assert current["current"] and current["mqls_handed_over"] == 5 and current["answered"] == 4
    assert current["answered_in_time"] == 4 and current["sales_kept"]
    out = io.StringIO()
    assert main_as("lena", ["--db", url, "sla", "--volume"], out=out) == 0
    assert len(out.getvalue().splitlines()) == 4 and "4 of 4 answers within the SLA (100%, kept)" in out.getvalue()
    assert main_as("anna", ["--db", url, "sla", "--volume"], out=io.StringIO()) == 1  # a rep reads only their own
