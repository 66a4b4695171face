"""What a rep's key costs on PostgreSQL at 100,000, 1,000,000 and 10,000,000 leads.

Usage: python bench/bench_scale.py [--sizes 100000,1000000,10000000] [--repeat 20] [--folder PATH]

Starts a throwaway PostgreSQL server (the binaries must be on PATH; as root it runs as the
postgres user) on a data directory kept under the temp folder, so that each size is seeded
once (in SQL, `INSERT ... SELECT generate_series`, indexes built after) and reused by later
runs. For each size it times, as the database's owner (a team lead), the first page of the
pool, a page-down, a filter (its page and its capped count), a take and a decision (an
accept), the median of `--repeat` each, and prints them side by side, then the plan
(`EXPLAIN`) of every statement each one ran. A figure that grows with the data points at
the query to fix.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pg_server import PG_USER, PostgresServer  # noqa: E402

FILTER = "schmidt"
#: Rows of the seed, in SQL: names, companies and emails from small lists by the row's
#: number, hand-overs over the last ten days, a tenth of the leads handraisers.
SEED_SQL = """
INSERT INTO "lead" ("salutation", "first_name", "last_name", "email", "phone", "job_title", "company", "country",
  "channel", "interest", "existing_customer", "creditworthiness", "emails_opened", "emails_clicked", "pages_visited",
  "forms_filled", "notes", "score", "stage", "owner", "recycle_count", "version", "created_at", "handed_over_at",
  "updated_at", "updated_by", "queue_key", "search_text", "score_breakdown", "rules_version", "overrides", "grade",
  "external_id", "extra")
SELECT '', f, l, lower(f || '.' || l || n || '@' || c || '.de'), '', '', c || ' GmbH', 'DE', 'web_form',
  CASE WHEN mod(n, 10) = 0 THEN 'demo_request' ELSE 'inquiry' END, false, 'unknown', 0, 0, 0, 0, '', s, 'mql', NULL,
  0, 1, h, h, h, 'seed',
  (CASE WHEN mod(n, 10) = 0 THEN '0' ELSE '1' END) || to_char(h, 'YYYYMMDD') || lpad((100 - s)::text, 3, '0')
    || to_char(h, 'HH24MISSUS'),
  lower(f || ' ' || l || ' ' || c || ' gmbh ' || f || '.' || l || n || '@' || c || '.de'),
  '[]', 'seed', '{}', '', '', '{}'
FROM (SELECT n, (ARRAY['Anna','Jan','Lea','Tim','Mia','Ole','Eva','Max','Ida','Ben'])[1 + mod(n, 10)] AS f,
             (ARRAY['Schmidt','Meyer','Jansen','Bakker','Weber','Visser','Koch','Smit','Wolf','Peters',
                    'Becker','Mulder','Braun','Bos','Kraus','Dekker'])[1 + mod(n / 10, 16)] AS l,
             (ARRAY['nordwind','sonnen','hafen','berg','tal','wald','feld','stein'])[1 + mod(n / 160, 8)] AS c,
             mod(n * 37, 101) AS s,
             now() AT TIME ZONE 'UTC' - mod(n * 7919, 864000) * interval '1 second' AS h
      FROM generate_series(%s::bigint, %s::bigint) AS n) AS rows
"""


#: The lead table's indexes on a migrated database: the key, the queue's, the pool's, the
#: trigram filter's, rules version, merge keys (email, external id) and the hand-over's.
LEAD_INDEXES = ("lead_pkey", "lead_queue", "lead_pool", "lead_search_trgm", "lead_rules_version",
                "lead_email_lower", "lead_external_id", "lead_handed")


def keep_server(folder: Path) -> PostgresServer:
    """A server on `folder`'s data directory: made on the first run, started again after."""
    server = PostgresServer()
    Path(server.base).rmdir()
    server.base, server.data = folder, folder / "data"
    if (server.data / "PG_VERSION").exists():
        if server.as_root:
            import os
            import pwd

            account = pwd.getpwnam("postgres")
            os.chown(folder, account.pw_uid, account.pw_gid)
        server._pg_ctl_start()
    else:
        folder.mkdir(parents=True, exist_ok=True)
        server.start()
    return server


def seeded(server: PostgresServer, size: int) -> str:
    """The URL of a database of `size` pool MQLs, seeded unless it exists already."""
    import psycopg

    from storage import open_database

    name = f"scale_{size}"
    with psycopg.connect(server.url(), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    url = server.url(name)
    db = open_database(url)
    [(count,)] = db.execute_sql('SELECT COUNT(*) FROM "lead"').fetchall()
    [(indexed,)] = db.execute_sql("SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'lead'").fetchall()
    if count == size and indexed == len(LEAD_INDEXES):
        db.close()
        return url
    if count or indexed != len(LEAD_INDEXES):
        # Another size or a half-done seed (its indexes dropped, say): the audit trail is
        # append-only, so the database starts afresh, its indexes as the migrations make them.
        db.close()
        with psycopg.connect(server.url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        db = open_database(url)
    started = time.perf_counter()
    indexes = db.execute_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'lead' AND indexname <> 'lead_pkey'"
    ).fetchall()
    for index, _ in indexes:
        db.execute_sql(f'DROP INDEX "{index}"')
    for start in range(1, size + 1, 1_000_000):
        db.execute_sql(SEED_SQL, (start, min(size, start + 999_999)))
    db.execute_sql("SET maintenance_work_mem = '1GB'")
    for _, definition in indexes:
        db.execute_sql(definition)
    db.execute_sql("VACUUM ANALYZE")
    print(f"seeded {size:,} leads in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    db.close()
    return url


class Recorder:
    """Records each statement the store runs, for its plan."""

    def __init__(self, db) -> None:
        self.db, self.statements, self.on = db, [], False
        self._execute = db.execute_sql

        def execute_sql(sql, params=None, *args, **kwargs):
            if self.on:
                self.statements.append((sql, params))
            return self._execute(sql, params, *args, **kwargs)

        db.execute_sql = execute_sql

    def plans(self) -> list[str]:
        found = []
        for sql, params in self.statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "INSERT")):
                continue
            rows = self._execute("EXPLAIN " + sql, params).fetchall()
            found.append("\n".join("      " + line for (line,) in rows))
        return found


def measure(url: str, repeat: int) -> tuple[dict[str, float], dict[str, list[str]]]:
    from storage import LeadRepository, open_database
    from triage.domain.queue import QueueView
    from triage.services import Services

    repo = LeadRepository(open_database(url))
    service = Services.open(repo, PG_USER).decisions
    recorder = Recorder(repo.db)
    first = service.queue_page(QueueView.POOL)
    last = first.rows[-1]
    taken: list[int] = []

    def take():
        lead = service.take()
        taken.append(lead.id)

    def decide():
        service.accept(taken.pop())

    actions = {
        "first page": lambda: service.queue_page(QueueView.POOL),
        "page-down": lambda: service.queue_page(QueueView.POOL, after=(last.queue_key, last.id)),
        "filter page": lambda: service.queue_page(QueueView.POOL, text=FILTER),
        "filter count (at most 10,000)": lambda: service.queue_count(QueueView.POOL, FILTER, at_most=10_000),
        "take": take,
        "decision (accept)": decide,
    }
    figures, plans = {}, {}
    for name, action in actions.items():
        action()  # warm
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            action()
            samples.append((time.perf_counter() - started) * 1000)
        figures[name] = statistics.median(samples)
        recorder.statements, recorder.on = [], True
        if name == "decision (accept)":
            take()
            recorder.statements = []
        action()
        recorder.on = False
        plans[name] = recorder.plans()
    repo.db.close()
    return figures, plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench-scale")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print("command: python " + " ".join(sys.argv))
    server = keep_server(args.folder)
    try:
        results = {size: measure(seeded(server, size), args.repeat) for size in sizes}
    finally:
        server._run("pg_ctl", "-D", str(server.data), "-m", "fast", "-w", "stop")
    print(f"{'median ms':32}" + "".join(f"{size:>14,}" for size in sizes) + f"{'largest/smallest':>18}")
    for name in results[sizes[0]][0]:
        values = [results[size][0][name] for size in sizes]
        print(f"{name:32}" + "".join(f"{value:>14.2f}" for value in values) + f"{values[-1] / values[0]:>17.1f}x")
    for size in sizes:
        print(f"\nplans at {size:,} leads:")
        for name, found in results[size][1].items():
            print(f"  {name}:")
            for plan in found:
                print(plan)


if __name__ == "__main__":
    main()
