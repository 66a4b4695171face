"""SQLite's own work in a real assignment: per lead, the UPDATE of its owner and its audit row.

`triage assign` gives each pool lead to a rep with one UPDATE and one audit row (two
executemany per batch, see `LeadRepository._give`). This times those statements alone, with
plain sqlite3, on a copy of a database of many pool leads (e.g. one `bench_queue.py`
seeded), each variant in a transaction that is rolled back: as triage runs them, set-based
through a temporary table, without the outbox trigger and without the two indexes that carry
the owner. The copy is removed at the end.

    python bench/bench_assign_floor.py --db /tmp/triage-bench.db --leads 100000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from storage.repository import _Statements

#: The two statements as `LeadRepository._give` runs them on SQLite.
UPDATE, AUDIT = _Statements("?").give, _Statements("?").audit
NOW = "2026-12-02 14:00:00"
REPS = [f"rep{number}" for number in range(8)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench.db")
    parser.add_argument("--leads", type=int, default=100_000, help="pool leads given in each variant")
    args = parser.parse_args()
    copy = args.db.with_name(args.db.stem + "-assign-floor.db")
    shutil.copy(args.db, copy)
    try:
        measure(sqlite3.connect(copy, isolation_level=None), args.leads)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def measure(connection: sqlite3.Connection, leads: int) -> None:
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-262144"):
        connection.execute(f"PRAGMA {pragma}")
    ids = [row[0] for row in connection.execute('SELECT "id" FROM "lead" WHERE "owner" IS NULL ORDER BY "id" LIMIT ?',
                                                (leads,))]
    if not ids:
        raise SystemExit("no pool leads in the database: seed one with `triage seed --leads 1000000`")
    owners = [(REPS[number % len(REPS)], NOW, "lead", lead_id) for number, lead_id in enumerate(ids)]
    audits = [(lead_id, "lead", NOW, "assign", None, None, None, None,
               f"{REPS[number % len(REPS)]}: fewest open leads for their capacity (3 of 5)", None)
              for number, lead_id in enumerate(ids)]
    print(f"load average {os.getloadavg()[0]:.1f}; {len(ids):,} pool leads, each variant rolled back")

    def timed(label: str, work: Callable[[], object]) -> None:
        connection.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        work()
        spent = time.perf_counter() - started
        connection.execute("ROLLBACK")
        print(f"{label:62} {spent / len(ids) * 1e6:6.1f} µs a lead")

    def both() -> None:
        connection.executemany(UPDATE, owners)
        connection.executemany(AUDIT, audits)

    def set_based() -> None:
        connection.execute('CREATE TEMP TABLE IF NOT EXISTS given ("id" INTEGER PRIMARY KEY, "owner" TEXT, "note" TEXT)')
        connection.executemany("INSERT INTO given VALUES (?, ?, ?)",
                               [(lead_id, owner, audit[8]) for (owner, _, _, lead_id), audit in zip(owners, audits)])
        connection.execute('UPDATE "lead" SET "owner" = g."owner", "version" = "version" + 1, "updated_at" = ?, '
                           '"updated_by" = ? FROM given g WHERE "lead"."id" = g."id"', (NOW, "lead"))
        connection.execute('INSERT INTO "audit_event" ("lead_id", "actor", "at", "action", "note") '
                           'SELECT "id", ?, ?, ?, "note" FROM given ORDER BY "id"', (NOW, "lead", "assign"))

    timed("UPDATE of the owner (executemany, in id order)", lambda: connection.executemany(UPDATE, owners))
    timed("audit row (executemany)", lambda: connection.executemany(AUDIT, audits))
    timed("both, as triage runs them", both)
    timed("both, set-based through a temporary table", set_based)
    connection.execute('DROP TRIGGER IF EXISTS "audit_outbox"')
    timed("audit row without the outbox trigger", lambda: connection.executemany(AUDIT, audits))
    for index in ("lead_queue", "lead_handed"):
        connection.execute("BEGIN IMMEDIATE")
        [(sql,)] = connection.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).fetchall()
        connection.execute(f'DROP INDEX "{index}"')
        started = time.perf_counter()
        connection.execute(sql)
        print(f"{'rebuilding ' + index + ' over the whole table':62} {time.perf_counter() - started:6.2f} s")
        connection.execute("ROLLBACK")
        connection.execute(f'DROP INDEX "{index}"')
    timed("UPDATE of the owner without lead_queue and lead_handed", lambda: connection.executemany(UPDATE, owners))


if __name__ == "__main__":
    main()
