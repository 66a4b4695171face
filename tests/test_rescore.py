"""The rescore after a rules change, scored by child processes, stores exactly what it
stores when this process scores every lead itself: on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from storage import LeadRepository, open_database
from triage.domain.models import AuditEvent, Channel, LeadData
from triage.domain.rules import default_rules
from triage.services import Services, new_lead

LEADS = 3000


def varied_leads(count: int, seed: int = 14) -> list:
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, 8, tzinfo=timezone.utc)
    return [new_lead(LeadData(
        first_name=f"L{i}", last_name=rng.choice(["", "Berg", "de Vries"]), company=rng.choice(["", "Acme GmbH"]),
        phone=rng.choice(["", "0301234"]), email=f"l{i}@{rng.choice(['gmx.de', 'firma.de', 'acme.nl'])}",
        channel=rng.choice(["web_form", "paid_ads", "referral", "event"]),
        interest=rng.choice(["inquiry", "quote_request", "demo_request"]),
        emails_clicked=rng.randint(0, 12), pages_visited=rng.randint(0, 30)),
        created_at=start + timedelta(minutes=i), handed_over_at=start + timedelta(minutes=i)) for i in range(count)]


def changed_rules():
    rules = default_rules()
    channel = {**rules.points.channel, Channel.WEB_FORM: rules.points.channel.get(Channel.WEB_FORM, 0) + 1}
    return rules.model_copy(update={"version": "changed", "points": rules.points.model_copy(update={"channel": channel})})


def stored(repo: LeadRepository) -> list[tuple]:
    return repo.db.execute_sql('SELECT "id", "version", "score", "score_breakdown", "rules_version", "queue_key" '
                               'FROM "lead" ORDER BY "id"').fetchall()


def rescored(url: str, processes: int) -> list[tuple]:
    repo = LeadRepository(open_database(url))
    repo.add_leads(varied_leads(LEADS))
    for lead_id in (5, 77, 2001):
        lead = repo.get(lead_id)
        repo.change(lead, {"overrides": {"channel": "referral"}}, AuditEvent(
            lead_id=lead_id, actor="lena", at=lead.updated_at, action="answer", note="channel set"))
    before = stored(repo)
    seen: list[tuple[int, int]] = []
    service = Services.open(repo, "lena", rules=changed_rules())
    assert service.scoring.rescore(progress=lambda done, total: seen.append((done, total)), batch=400,
                                   processes=processes) == LEADS
    assert seen == [(0, LEADS), *((min(done, LEADS), LEADS) for done in range(400, LEADS + 400, 400))]
    after = stored(repo)
    assert any(old[2] != new[2] for old, new in zip(before, after, strict=True))
    assert any(old[2:4] == new[2:4] for old, new in zip(before, after, strict=True))
    return after


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_rescore_in_child_processes_stores_what_one_process_stores(backend, tmp_path, request):
    if backend == "postgres":
        server = request.getfixturevalue("postgres_server")
        here, there = server.new_database(), server.new_database()
    else:
        here, there = (f"sqlite:///{tmp_path / name}" for name in ("here.db", "there.db"))
    alone = rescored(here, processes=0)
    in_processes = rescored(there, processes=2)
    assert in_processes == alone
    assert {row[4] for row in alone} == {changed_rules().stamp}


def test_a_cancelled_rescore_in_child_processes_keeps_what_it_stored(tmp_path):
    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'triage.db'}"))
    repo.add_leads(varied_leads(2000))
    service = Services.open(repo, "lena", rules=changed_rules())
    seen: list[int] = []
    done = service.scoring.rescore(progress=lambda done, total: seen.append(done), batch=300, processes=2,
                                   cancelled=lambda: len(seen) > 2)
    assert done == 600 and seen == [0, 300, 600]
    assert service.scoring.count_to_rescore() == 1400
    assert service.scoring.rescore(processes=2) == 1400 and service.scoring.count_to_rescore() == 0


def test_a_scoring_process_killed_from_outside_ends_the_rescore_with_a_message(tmp_path):
    """Not a rescore waiting forever for a batch nobody scores: the batches before are stored."""
    import multiprocessing
    import os
    import signal
    import threading

    from triage.domain.errors import TriageError

    repo = LeadRepository(open_database(f"sqlite:///{tmp_path / 'triage.db'}"))
    repo.add_leads(varied_leads(3000))
    service = Services.open(repo, "lena", rules=changed_rules())

    def kill_a_scorer(done: int, total: int) -> None:
        if done == 200:
            os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)

    outcome: list[object] = []

    def rescore() -> None:
        try:
            outcome.append(service.scoring.rescore(progress=kill_a_scorer, batch=200, processes=2))
        except TriageError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=rescore, daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the rescore waits for a scoring process that was killed"
    assert isinstance(outcome[0], TriageError) and "start the rescore again" in str(outcome[0])
    assert 200 <= 3000 - service.scoring.count_to_rescore() < 3000
