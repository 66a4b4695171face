"""The volume agreement (`triage sla --volume`) at a million leads: how long the months take.

Copies nothing: give it a database of many leads (e.g. one `bench_queue.py` seeded); it adds
decisions (accepts and returns over the last four months, a fifth of the leads) once, as a
marked batch of audit events, and times `Team.volume` a few times.

    python bench/bench_volume.py --db /tmp/triage-bench.db
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone

from storage import LeadRepository, open_database
from triage.services import Services

MARK = "bench decision"


def add_decisions(repo: LeadRepository, share: float) -> int:
    db = repo.db
    [(have,)] = db.execute_sql('SELECT COUNT(*) FROM "audit_event" WHERE "note" = ?', (MARK,)).fetchall()
    if have:
        return have
    [(leads,)] = db.execute_sql('SELECT MAX("id") FROM "lead"').fetchall()
    chance = random.Random(16)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = []
    for lead_id in chance.sample(range(1, leads + 1), int(leads * share)):
        at = now - timedelta(minutes=chance.randrange(60 * 24 * 120))
        rows.append((lead_id, "bench", at.isoformat(sep=" "), chance.choice(("accept", "return")), MARK))
    with db.atomic():
        db.cursor().executemany('INSERT INTO "audit_event" ("lead_id", "actor", "at", "action", "note") '
                                "VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--share", type=float, default=0.2, help="the share of leads with a decision")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    repo = LeadRepository(open_database(f"sqlite:///{args.db}"))
    [(leads,)] = repo.db.execute_sql('SELECT COUNT(*) FROM "lead"').fetchall()
    decisions = add_decisions(repo, args.share)
    lead = next((member.login for member in repo.team() if member.role.value == "lead"), "bench")
    team = Services.open(repo, lead).team
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        months = team.volume(3)
        times.append(time.perf_counter() - started)
    print(f"{leads:,} leads, {decisions:,} decisions: the volume agreement of 4 months in "
          f"{min(times):.2f} s (best of {args.runs}; runs {', '.join(f'{t:.2f}' for t in times)})")
    for month in months:
        print("  " + month.line())


if __name__ == "__main__":
    main()
