"""Importing a million-row CSV, validated, beside a plain sqlite3 executemany of the same rows.

Usage: python bench/bench_import.py [--rows 1000000] [--csv PATH]

Writes the CSV once (realistic demo leads, reused when it exists with the asked-for rows),
then in one run: loads its rows with the csv module and inserts them by a plain sqlite3
`executemany` into a table of the same columns (no validation: the floor), and imports the
file with `triage import`'s code into a fresh database. Prints both rates and their ratio.
Target: the import at no less than a fifth of the plain rate.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = ("external_id", "salutation", "first_name", "last_name", "email", "phone", "company", "job_title",
           "country", "channel", "interest", "existing_customer", "notes", "created_at", "emails_opened",
           "emails_clicked", "pages_visited", "forms_filled")


def write_csv(path: Path, rows: int) -> None:
    from triage.services.seed import demo_rows

    if path.exists():
        with path.open(encoding="utf-8") as handle:
            if sum(1 for _ in handle) - 1 == rows:
                return
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number, lead in enumerate(demo_rows(rows, seed=11), 1):
            writer.writerow((f"HS-{number}", lead["salutation"], lead["first_name"], lead["last_name"],
                             lead["email"].replace("@", f".{number}@"), lead["phone"], lead["company"],
                             lead["job_title"], lead["country"], lead["channel"].value, lead["interest"].value,
                             "yes" if lead["existing_customer"] else "no", lead["notes"],
                             lead["created_at"].strftime("%Y-%m-%d %H:%M"), lead["emails_opened"],
                             lead["emails_clicked"], lead["pages_visited"], lead["forms_filled"]))
    print(f"wrote {rows:,} rows to {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def plain_rate(path: Path, folder: Path) -> float:
    database = folder / "plain.db"
    connection = sqlite3.connect(database)
    connection.execute(f"CREATE TABLE lead (id INTEGER PRIMARY KEY, {', '.join(COLUMNS)})")
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        with connection:
            connection.executemany(f"INSERT INTO lead ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                                   reader)
    seconds = time.perf_counter() - started
    count = connection.execute("SELECT COUNT(*) FROM lead").fetchone()[0]
    connection.close()
    return count / seconds


def triage_rate(path: Path, folder: Path) -> tuple[float, str]:
    from storage import LeadRepository, open_database
    from triage.services import Services

    service = Services.open(LeadRepository(open_database(f"sqlite:///{folder / 'triage.db'}")), "marketing")
    started = time.perf_counter()
    summary = service.transfer.import_file(path)
    seconds = time.perf_counter() - started
    return summary.imported / seconds, summary.line()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args()
    path = args.csv or Path(tempfile.gettempdir()) / f"triage-import-{args.rows}.csv"
    write_csv(path, args.rows)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        plain = plain_rate(path, folder)
        imported, line = triage_rate(path, folder)
    print(f"plain sqlite3 executemany: {plain:,.0f} rows/s")
    print(f"triage import (validated): {imported:,.0f} rows/s   ({line})")
    print(f"ratio: {imported / plain:.3f} (target at least 0.2)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
