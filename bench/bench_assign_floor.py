"""Where a real assignment's time goes: `triage assign` on a copy, statement by statement.

Runs the team lead's assignment of the whole pool (`Team.assign_pool_batches`, as `triage
assign` does) on a copy of a database of many pool leads (e.g. one `bench_queue.py` or
`bench_throughput.py` seeded) and prints the seconds of each SQL statement triage ran (added
up over the pages), of the commit, of the fairness engine with its explanations, and the
rest (the pages turned into the engine's leads, the JSON of each page's assignments), then
the total and the rate. The copy is removed at the end.

    python bench/bench_assign_floor.py --db /tmp/triage-bench.db [--keep-indexes]

With `--keep-indexes` the indexes that carry the owner and the outbox trigger are kept up to
date lead by lead instead of built again (as for a pool under a tenth of the table): what
`storage.repository.BULK_POOL_SHARE` is weighed on.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storage import LeadRepository, open_database, repository
from triage.domain import fairness
from triage.services import Services


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench.db")
    parser.add_argument("--login", default=getpass.getuser(), help="the team lead who assigns (the seeder's user)")
    parser.add_argument("--keep-indexes", action="store_true",
                        help="keep lead_queue, lead_handed and the outbox trigger up to date instead")
    args = parser.parse_args()
    if args.keep_indexes:
        repository.OWNER_INDEXES, repository.OUTBOX_TRIGGER = (), ""
    copy = args.db.with_name(args.db.stem + "-assign-floor.db")
    shutil.copy(args.db, copy)
    os.sync()  # the copy written out first, not while the assignment writes
    try:
        measure(LeadRepository(open_database(f"sqlite:///{copy}")), args.login)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def timing(spent: Counter[str], label: Callable[..., str], work: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            spent[label(*args)] += time.perf_counter() - started
    return timed


def measure(repo: LeadRepository, login: str) -> None:
    db = repo.db
    spent: Counter[str] = Counter()
    db.execute_sql = timing(spent, lambda sql, *_: " ".join(sql.split())[:90], db.execute_sql)
    db.commit = timing(spent, lambda *_: "(the commit)", db.commit)
    engine = fairness.FairAssignment.assign
    fairness.FairAssignment.assign = timing(
        spent, lambda *_: "(the fairness engine and its explanations)", engine)
    print(f"load average {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    given = sum(len(outcome.assignments) for outcome in Services.open(repo, login).team.assign_pool_batches())
    total = time.perf_counter() - started
    fairness.FairAssignment.assign = engine
    if not given:
        raise SystemExit("no pool leads in the database: seed one with `triage seed --leads 1000000`")
    for what, seconds in spent.most_common():
        if seconds >= 0.01:
            print(f"{seconds:7.2f} s  {what}")
    print(f"{total - sum(spent.values()):7.2f} s  (the rest: pages into leads, each page's JSON, the loop)")
    print(f"{total:7.2f} s  {given:,} leads given: {given / total:,.0f} leads/s, {total / given * 1e6:.1f} µs a lead")


if __name__ == "__main__":
    main()
