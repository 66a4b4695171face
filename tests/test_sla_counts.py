"""`triage sla`'s summary counts in the database along the hand-over index, on SQLite and on
PostgreSQL: the same figures as the SLA clock gives lead by lead."""

from datetime import datetime, timedelta, timezone

import pytest

from storage import LeadRepository, open_database
from triage.domain.models import LeadData, Role, TeamMember
from triage.services import Services, new_lead

NOW = datetime(2026, 12, 2, 10, 30, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request, tmp_path):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'sla.db'}"
    repo = LeadRepository(open_database(url))
    moments = [NOW - timedelta(hours=5 * k) for k in range(40)] + [None, None]
    repo.add_leads([new_lead(LeadData(first_name=f"Lead{i}"), handed_over_at=at) for i, at in enumerate(moments)])
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    repo.add_team_member(TeamMember(login="anna", name="Anna"))
    Services.open(repo, "lena").team.reassign(list(range(1, 40, 4)), "anna")
    return repo


def test_the_summary_is_what_the_clock_says_lead_by_lead(repo):
    team = Services.open(repo, "lena").team
    clock = team.sla_clock()
    states = [clock.status(lead.stage, lead.handed_over_at, NOW) for lead in repo.open_leads()]
    breached = sum(1 for status in states if status is not None and status.state.value == "breached")
    soon = sum(1 for status in states if status is not None and status.state.value == "soon")
    assert breached and soon
    assert team.sla_summary(NOW) == (breached, soon)
