"""Eight reps taking and deciding against one PostgreSQL database for 30 seconds.

Loopback only and bounded in time. Afterwards every taken lead was taken once, by the rep
who owns it (or returned it), every decision a rep made is in the audit log exactly once,
and no rep saw an error. The rate is printed by bench/bench_team.py, not asserted here.
"""

from collections import Counter

from team_load import fill_pool, run_reps

from storage import LeadRepository, open_database
from triage.domain.models import Stage

REPS = 8
SECONDS = 30
POOL = 120_000  # more than 8 reps take in 30 s here (about 35,000)


def test_eight_reps_for_thirty_seconds_lose_nothing_and_double_nothing(pg_url):
    fill_pool(pg_url, POOL)
    reports = run_reps(pg_url, REPS, SECONDS)
    assert [errors for *_, errors, _ in reports if errors] == []
    takes = sum(report[1] for report in reports)
    assert takes > REPS  # every rep got work; the rate itself is the benchmark's business

    repo = LeadRepository(open_database(pg_url))
    audit = repo.db.execute_sql('SELECT "lead_id", "actor", "action" FROM "audit_event"').fetchall()
    taken_by = {}
    for lead_id, actor, action in audit:
        if action == "take":
            assert lead_id not in taken_by, f"lead {lead_id} taken twice"
            taken_by[lead_id] = actor
    assert len(taken_by) == takes
    decided = Counter((lead_id, actor, action) for lead_id, actor, action in audit if action != "take")
    reported = Counter((lead_id, login, action) for login, _, decisions, _, _ in reports for lead_id, action in decisions)
    assert decided == reported and max(decided.values()) == 1
    for lead_id, login, action in reported:
        assert taken_by[lead_id] == login
    rows = repo.db.execute_sql('SELECT "id", "stage", "owner" FROM "lead" WHERE "id" IN (SELECT "lead_id" FROM "audit_event")')
    for lead_id, stage, owner in rows.fetchall():
        if stage == Stage.SAL.value:
            assert owner == taken_by[lead_id]
        else:
            assert stage == Stage.RETURNED.value and owner is None
    untouched = repo.db.execute_sql(
        'SELECT COUNT(*) FROM "lead" WHERE "owner" IS NULL AND "stage" = %s', (Stage.MQL.value,)
    ).fetchone()[0]
    assert untouched == POOL - takes  # none lost
