"""Reps at many terminals: takes and decisions per second on PostgreSQL and on SQLite.

Usage: python bench/bench_team.py [--reps 8] [--seconds 30] [--pool 120000]

Starts a throwaway PostgreSQL server on a loopback port (the binaries must be on PATH;
as root the server runs as the postgres user), fills a pool of MQLs in it and in a SQLite
file, then runs `--reps` processes against each for `--seconds`: each takes the next pool
lead and accepts it (every fourth it returns). Prints takes and decisions per second for
both databases. Target on PostgreSQL: at least 1,000 takes per second in total.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pg_server import PostgresServer  # noqa: E402
from team_load import fill_pool, run_reps  # noqa: E402


def run(url: str, reps: int, seconds: float, pool: int) -> tuple[float, float, int]:
    fill_pool(url, pool)
    reports = run_reps(url, reps, seconds)
    errors = [error for report in reports for error in report[3]]
    if errors:
        raise SystemExit(f"a rep failed: {errors[0]}")
    elapsed = max(report[4] for report in reports)
    takes = sum(report[1] for report in reports)
    decisions = sum(len(report[2]) for report in reports)
    return takes / elapsed, decisions / elapsed, takes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=8, help="processes taking and deciding (default 8)")
    parser.add_argument("--seconds", type=float, default=30, help="how long they work (default 30)")
    parser.add_argument("--pool", type=int, default=120_000, help="MQLs in the pool at the start")
    args = parser.parse_args()

    server = PostgresServer()
    server.start()
    try:
        takes, decisions, total = run(server.new_database(), args.reps, args.seconds, args.pool)
        print(f"PostgreSQL: {takes:,.0f} takes/s, {decisions:,.0f} decisions/s "
              f"({total:,} leads taken by {args.reps} reps in {args.seconds:g} s)")
    finally:
        server.stop()
    with tempfile.TemporaryDirectory() as folder:
        takes, decisions, total = run(f"sqlite:///{folder}/team.db", args.reps, args.seconds, args.pool)
        print(f"SQLite:     {takes:,.0f} takes/s, {decisions:,.0f} decisions/s "
              f"({total:,} leads taken by {args.reps} reps in {args.seconds:g} s)")


if __name__ == "__main__":
    main()
