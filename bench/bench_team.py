"""Reps at many terminals: takes and decisions per second on PostgreSQL and on SQLite.

Usage: python bench/bench_team.py [--reps 8] [--seconds 30] [--pool 120000]

Starts a throwaway PostgreSQL server on a loopback port (the binaries must be on PATH;
as root the server runs as the postgres user), fills a pool of MQLs in it and in a SQLite
file, then runs `--reps` processes against each for `--seconds`: each takes the next pool
lead and accepts it (every fourth it returns). On PostgreSQL the roles are enforced as a
team's are: the database belongs to a team lead's login, who adds each rep as a team member
with a login and password of their own (`storage/roles.py`), and each rep process connects
as that login. Prints takes and decisions per second, and both together, for both
databases. Target on PostgreSQL: at least 2,000 takes and decisions per second together.
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


def team_logins(server: PostgresServer, reps: int) -> tuple[str, list[tuple[str, str]]]:
    """A database owned by a team lead's login, with `reps` reps, each with a login of their
    own: the owner's URL, and each rep's (URL, login)."""
    import psycopg

    from storage import LeadRepository, open_database
    from triage.domain.models import Role, TeamMember
    from triage.services import Services

    with psycopg.connect(server.url(), autocommit=True) as admin:
        admin.execute("CREATE ROLE bench_lead LOGIN CREATEROLE PASSWORD 'lead-pw'")
        admin.execute('CREATE DATABASE "bench_team" OWNER bench_lead')
    owner_url = server.login_url("bench_lead", "lead-pw", "bench_team")
    repo = LeadRepository(open_database(owner_url))
    team = Services.open(repo, "bench_lead").team
    logins = []
    for number in range(reps):
        login = f"bench_rep{number}"
        team.add_member(TeamMember(login=login, name=f"Rep {number}", role=Role.REP), password=f"{login}-pw")
        logins.append((server.login_url(login, f"{login}-pw", "bench_team"), login))
    repo.db.close()
    return owner_url, logins


def run(url: str, reps: int, seconds: float, pool: int,
        logins: list[tuple[str, str]] | None = None) -> tuple[float, float, int]:
    fill_pool(url, pool)
    reports = run_reps(url, reps, seconds, logins)
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

    print("command: python " + " ".join(sys.argv))
    server = PostgresServer()
    server.start()
    try:
        owner_url, logins = team_logins(server, args.reps)
        takes, decisions, total = run(owner_url, args.reps, args.seconds, args.pool, logins)
        print(f"PostgreSQL: {takes:,.0f} takes/s, {decisions:,.0f} decisions/s, {takes + decisions:,.0f} together "
              f"({total:,} leads taken by {args.reps} reps, each their own login, in {args.seconds:g} s)")
    finally:
        server.stop()
    with tempfile.TemporaryDirectory() as folder:
        takes, decisions, total = run(f"sqlite:///{folder}/team.db", args.reps, args.seconds, args.pool)
        print(f"SQLite:     {takes:,.0f} takes/s, {decisions:,.0f} decisions/s, {takes + decisions:,.0f} together "
              f"({total:,} leads taken by {args.reps} reps in {args.seconds:g} s)")


if __name__ == "__main__":
    main()
