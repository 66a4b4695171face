"""Reps at many terminals, as processes: each takes the next pool lead and decides it, as
fast as it can, for a while. Used by the stress test and by bench/bench_team.py."""

from __future__ import annotations

import multiprocessing
import time

from storage import LeadRepository, open_database
from triage.domain.models import LeadData, ReturnDecision
from triage.services import Services, new_lead

RETURN = ReturnDecision(reason="no_fit", path="nurture")


def fill_pool(url: str, count: int) -> None:
    repo = LeadRepository(open_database(url))
    data = LeadData(first_name="Load", last_name="Test", email="load@firma.de", interest="quote_request")
    lead = new_lead(data, actor="marketing")
    repo.add_leads(lead for _ in range(count))
    if repo.db.__class__.__name__ == "TeamDatabase":
        repo.db.execute_sql("ANALYZE")  # as autovacuum would soon: plans by real figures
    repo.db.close()


def rep_at_work(url: str, login: str, seconds: float, barrier, results) -> None:
    """Take and decide until `seconds` are up or the pool is empty; every fourth lead is
    returned, the others accepted. Reports (login, takes, decisions, errors, seconds)."""
    takes, decisions, errors = 0, [], []
    try:
        service = Services.open(LeadRepository(open_database(url)), login)
        barrier.wait()
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            lead = service.decisions.take()
            if lead is None:
                break
            takes += 1
            if lead.id % 4 == 0:
                service.decisions.return_lead(lead.id, RETURN, expected_version=lead.version)
                decisions.append((lead.id, "return"))
            else:
                service.decisions.accept(lead.id, expected_version=lead.version)
                decisions.append((lead.id, "accept"))
        elapsed = time.perf_counter() - started
    except Exception as exc:  # every error is reported: the test fails on any
        errors.append(f"{type(exc).__name__}: {exc}")
        elapsed = 0.0
    results.put((login, takes, decisions, errors, elapsed))


def run_reps(url: str, reps: int, seconds: float, logins: list[tuple[str, str]] | None = None) -> list[tuple]:
    """`reps` processes of `rep_at_work`, started together; their reports, each
    (login, takes, decisions, errors, seconds), and every process's exit code checked."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(reps), context.Queue()
    logins = logins or [(url, f"rep{i}") for i in range(reps)]  # (URL, login) of each rep
    workers = [context.Process(target=rep_at_work, args=(rep_url, login, seconds, barrier, results))
               for rep_url, login in logins[:reps]]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=seconds + 300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        if worker.exitcode != 0:
            raise RuntimeError(f"a rep process ended with exit code {worker.exitcode}")
    return reports
