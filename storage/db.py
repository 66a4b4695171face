"""Opening the database: URL handling, SQLite settings, schema version and migrations."""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote, unquote

# peewee and playhouse look for every database driver as they are imported, and psycopg alone
# costs more than the rest of peewee (about 0.15 s of the app's start) while a rep on SQLite
# never needs it: they are imported with psycopg hidden, and the first team database brings it.
_PSYCOPG_HIDDEN = "psycopg" not in sys.modules
if _PSYCOPG_HIDDEN:
    sys.modules["psycopg"] = None  # type: ignore[assignment]
try:
    import peewee
    from playhouse import db_url
    from playhouse.migrate import SchemaMigrator, migrate
    from playhouse.shortcuts import ReconnectMixin
finally:
    if _PSYCOPG_HIDDEN:
        del sys.modules["psycopg"]
from platformdirs import user_data_dir

from triage.domain.errors import DatabaseError, MissingDatabase

from .tables import ALL_TABLES, INTEGRATION_TABLES, QUEUE_INDEX_SQL, LeadRow, MetaRow, RulesRow, database

ENV_VAR = "TRIAGE_DB"
SQLITE_PRAGMAS = {
    # Before the journal mode, which writes a new file's first page: 32 KB pages hold some
    # 50 leads each instead of 6, so a write across the whole table (the assignment of a
    # big pool) has an eighth of the pages, frames and splits (64 KB gains nothing more).
    # A single decision writes bigger frames: 8 reps on one file decide a quarter slower.
    # An existing file keeps its own.
    "page_size": 32768,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -8000,  # 8 MB per connection: a bigger cache barely speeds the queue up
}
BUSY_TIMEOUT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 5
#: The advisory lock key that serialises migrations on PostgreSQL ("triage" in ASCII).
MIGRATION_LOCK = 0x747269616765


def default_url() -> str:
    """`--db`, else `TRIAGE_DB`, else a file in the user's data directory."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    return "sqlite:///" + str(Path(user_data_dir("triage", appauthor=False)) / "triage.db")


class TeamDatabase(ReconnectMixin, peewee.PostgresqlDatabase):
    """PostgreSQL for a team, through psycopg 3. A connection the server dropped (a
    restart, an idle timeout) is opened again for the next statement; inside a
    transaction the error is raised instead, so nothing half-done is silently retried."""

    reconnect_errors = (
        (peewee.OperationalError, "terminating connection"),
        (peewee.OperationalError, "the connection is closed"),
        (peewee.OperationalError, "server closed the connection"),
        (peewee.OperationalError, "consuming input failed"),
        (peewee.OperationalError, "connection is lost"),
        (peewee.InterfaceError, "the connection is closed"),
        (peewee.InterfaceError, "connection already closed"),
    )

    def __init__(self, *args, **kwargs) -> None:
        _hand_psycopg_to_peewee()
        super().__init__(*args, **kwargs)


def _hand_psycopg_to_peewee() -> None:
    """Give peewee what it would have found of psycopg at its import (see the imports above)."""
    found: Any = peewee  # these module names are peewee's own, not in its type hints
    if found.psycopg is not None:
        return
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    found.psycopg, found.TransactionStatus, found.Json_pg3, found.Jsonb_pg3 = psycopg, TransactionStatus, Json, Jsonb
    adapter = peewee.Psycopg3Adapter
    adapter.txn_idle, adapter.txn_inerror, adapter.txn_unknown = (
        TransactionStatus.IDLE, TransactionStatus.INERROR, TransactionStatus.UNKNOWN)


def is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def redact(url: str) -> str:
    """`url` with any password replaced, for messages."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def sqlite_file(url: str) -> Path | None:
    """The file a `sqlite:///PATH` URL names; None for an in-memory or another database."""
    if url.partition("://")[0].lower() != "sqlite":
        return None
    path = db_url.parse(url)["database"]
    return None if not path or path == ":memory:" else Path(path).expanduser()


def connect(url: str | None = None, *, create: bool = True) -> peewee.Database:
    """A peewee database for `url`, not yet migrated (see `open_database`). Without
    `create`, a SQLite file that does not exist is refused (MissingDatabase) instead of
    being created, and so is its folder."""
    url = url or default_url()
    scheme = url.partition("://")[0].lower()
    if scheme == "sqlite":
        path = db_url.parse(url)["database"]
        file = sqlite_file(url)
        if file is not None and not create and not file.exists():
            raise MissingDatabase(file)
        if path != ":memory:":
            try:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the folder for {path}: {exc.strerror}") from None
            path = str(Path(path).expanduser())
        # Each thread still opens its own connection; a bulk assignment lends its own to a
        # second thread (see `PoolCopy`), which sqlite3 refuses unless told otherwise.
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS,
                                     check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        params = db_url.parse(url)
        for name in ("user", "password"):  # a password with @ or : is written %40, %3A in a URL
            if isinstance(params.get(name), str):
                params[name] = unquote(params[name])
        database = params.pop("database", None)
        if not database and params.get("service"):
            # A libpq service file names the database: hand psycopg a URL, which it reads whole.
            database = "postgresql:///?service=" + quote(str(params.pop("service")))
        if not database:
            raise DatabaseError(f"the URL {redact(url)} names no database (postgresql://user@host:port/NAME, "
                                "or postgresql:///?service=NAME for a libpq service file)")
        return TeamDatabase(
            database, prefer_psycopg3=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="triage", **params,
        )
    raise DatabaseError(
        f"unsupported database URL {redact(url)!r}; use sqlite:///PATH or postgresql://user@host:port/name"
    )


def open_database(url: str | None = None, *, create: bool = True) -> peewee.Database:
    """Connect, bind the tables, and bring the schema up to date; without `create`, a
    SQLite file that does not exist is refused (MissingDatabase), not created."""
    db = connect(url, create=create)
    try:
        db.connect(reuse_if_open=True)
    except peewee.DatabaseError as exc:
        raise DatabaseError(f"cannot open database {redact(url or default_url())}: {_first_line(exc)}") from None
    database.initialize(db)
    try:
        migrate_to_current(db)
    except peewee.DatabaseError as exc:
        hint = ""
        if is_postgres(db) and "permission denied" in str(exc):
            hint = " (the schema needs migrating, which only the database's owner may do: the owner runs any " \
                   "triage command once, e.g. `triage list`)"
        raise DatabaseError(f"cannot use database {redact(url or default_url())}: {_first_line(exc)}{hint}") from None
    return db


#: `triage serve` checkpoints its SQLite write-ahead log every this many pages instead of
#: SQLite's 1,000: the checkpoint is the one write that waits for the disk (fsync), so at
#: one call per transaction a tenth as often is a tenth of that wait per call.
SERVING_CHECKPOINT_PAGES = 10_000


def tune_for_serving(db: peewee.Database) -> None:
    """Settings of the connection `triage serve` writes on (SQLite: see above). Each commit
    stays safe against a crash of the process: with WAL and synchronous=NORMAL a committed
    transaction is in the operating system's hands before the call is answered; only a
    power cut can lose the last ones."""
    if isinstance(db, peewee.SqliteDatabase):
        db.execute_sql(f"PRAGMA wal_autocheckpoint = {SERVING_CHECKPOINT_PAGES}")


#: The app's page cache per SQLite connection, in KB (negative: SQLite's unit for KB).
APP_CACHE_SIZE = -2000


def tune_for_app(db: peewee.Database) -> None:
    """Settings of the app's connections (SQLite). The app reads in thread workers, and
    each thread of Textual's pool (up to six) keeps a connection of its own: 2 MB of page
    cache each instead of 8 keeps the app under 100 MB at a million leads, and the
    operating system's file cache serves what they miss (a scan of the queue's index is
    no slower)."""
    if isinstance(db, peewee.SqliteDatabase):
        db.pragma("cache_size", APP_CACHE_SIZE, permanent=True)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def write_transaction(db: peewee.Database) -> Iterator[None]:
    """One transaction for a read-then-write.

    On SQLite it starts IMMEDIATE: a deferred transaction that reads first fails with
    "database is locked" under concurrency instead of waiting for the busy timeout. Inside
    a transaction already (several writes of one call), it is part of that one: an error
    undoes the whole, and no savepoint costs its two statements.
    """
    if db.in_transaction():
        yield
    elif isinstance(db, peewee.SqliteDatabase):
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield


def _initial_schema(db: peewee.Database) -> None:
    db.create_tables(ALL_TABLES, safe=True)


def _search_text_column(db: peewee.Database) -> None:
    """Version 2: the queue's text filter reads one casefolded column."""
    from .repository import search_text

    columns = {column.name for column in db.get_columns(LeadRow._meta.table_name)}
    if "search_text" not in columns:
        migrate(SchemaMigrator.from_database(db).add_column("lead", "search_text", peewee.TextField(default="")))
    query = LeadRow.select(
        LeadRow.id, LeadRow.first_name, LeadRow.last_name, LeadRow.company, LeadRow.email
    ).where(LeadRow.search_text == "")
    for row in list(query.namedtuples()):
        LeadRow.update(search_text=search_text(row.first_name, row.last_name, row.company, row.email)).where(
            LeadRow.id == row.id
        ).execute()
    db.execute_sql(QUEUE_INDEX_SQL)


def _add_missing_columns(db: peewee.Database, table: str, fields: dict[str, peewee.Field]) -> None:
    """Add the columns `table` lacks: a database created by a newer version 1 has them."""
    existing = {column.name for column in db.get_columns(table)}
    migrator = SchemaMigrator.from_database(db)
    added = [migrator.add_column(table, name, field) for name, field in fields.items() if name not in existing]
    if added:
        migrate(*added)


def _scoring_columns(db: peewee.Database) -> None:
    """Version 3: each lead keeps its score's breakdown, the rules version that scored it,
    the rep's checklist overrides and grade. Leads from before are scored again by
    `LeadService.rescore`, since their rules version is empty."""
    _add_missing_columns(db, "lead", {
        "score_breakdown": peewee.TextField(default="[]"),
        "rules_version": peewee.CharField(default=""),
        "overrides": peewee.TextField(default="{}"),
        "grade": peewee.CharField(default=""),
    })


def _postgres_ordering_and_search(db: peewee.Database) -> None:
    """Version 4, PostgreSQL only: the queue key compares byte by byte whatever the
    database's collation (the paging sentinel "~" must sort after every digit), the pool
    has an index in queue order, and the queue's text filter gets a trigram index. Without the pg_trgm extension (a server
    that lacks it, or no right to create it) the filter works, only slower."""
    if not is_postgres(db):
        return
    db.execute_sql('ALTER TABLE "lead" ALTER COLUMN "queue_key" TYPE VARCHAR(255) COLLATE "C"')
    # PostgreSQL reads index order only after equalities, and `owner IS NULL` is none: the
    # pool (and taking from it) gets an index of its own, or every page sorts the pool.
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS lead_pool ON "lead" ("stage", "queue_key", "id") '
        'INCLUDE ("search_text") WHERE "owner" IS NULL'
    )
    try:
        with db.atomic():
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            db.execute_sql(
                'CREATE INDEX IF NOT EXISTS lead_search_trgm ON "lead" USING gin ("search_text" gin_trgm_ops)'
            )
    except peewee.DatabaseError:
        pass


def _team_details(db: peewee.Database) -> None:
    """Version 5: a team member's cap on open leads, away periods, countries and languages."""
    _add_missing_columns(db, "team_member", {
        "cap": peewee.IntegerField(null=True),
        "away": peewee.TextField(default="[]"),
        "countries": peewee.TextField(default="[]"),
        "languages": peewee.TextField(default="[]"),
    })
    db.execute_sql('CREATE INDEX IF NOT EXISTS audit_event_at ON "audit_event" ("at")')


def _import_columns(db: peewee.Database) -> None:
    """Version 6: the id a lead has in marketing's system, the columns of its file that
    triage has no field for, and an index on lower-cased email for merging duplicates."""
    _add_missing_columns(db, "lead", {
        "external_id": peewee.CharField(default=""),
        "extra": peewee.TextField(default="{}"),
    })
    db.execute_sql('CREATE INDEX IF NOT EXISTS lead_external_id ON "lead" ("external_id")')


def _rules_version_index(db: peewee.Database) -> None:
    """Version 7: finding the leads other rules scored reads an index, not every lead,
    so the app's check at start costs nothing on a million leads."""
    db.execute_sql('CREATE INDEX IF NOT EXISTS lead_rules_version ON "lead" ("rules_version", "id")')


def _no_merge_key_indexes(db: peewee.Database) -> None:
    """Version 8: no index on email or external id. No query looks a lead up by either (an
    import reads every lead's merge keys in one pass), and each index cost every import
    of a million leads two seconds to build."""
    db.execute_sql('DROP INDEX IF EXISTS lead_email')
    db.execute_sql('DROP INDEX IF EXISTS lead_external_id')


def _audit_prior(db: peewee.Database) -> None:
    """Version 9: an accept or return keeps the lead's stage and owner from before it, so
    the rep can undo it."""
    _add_missing_columns(db, "audit_event", {"prior": peewee.TextField(null=True)})


def _rules_in_the_database(db: peewee.Database) -> None:
    """Version 10: the rules in force are rows of the database, versioned, not a file on
    each member's machine."""
    db.create_tables([RulesRow], safe=True)


def _team_logins(db: peewee.Database) -> None:
    """Version 11, PostgreSQL only: a login per team member in a group per role, with grants
    and row-level security (see `storage.roles`). The owner running it is the first team lead."""
    if is_postgres(db):
        from . import roles

        roles.install(db)


#: The kind of decision an audit event is, for marketing's webhooks.
OUTBOX_KIND = ("CASE WHEN NEW.action = 'accept' THEN 'accepted' WHEN NEW.action = 'recycle' THEN 'recycled' "
               "WHEN NEW.to_stage = 'disqualified' THEN 'disqualified' ELSE 'returned' END")
OUTBOX_ACTIONS = "('accept', 'return', 'recycle')"
#: The audit events that hand a lead to sales (to a rep or to the pool), which a running
#: app tells its rep of; the NOTIFY channel PostgreSQL tells it on.
HANDOVER_ACTIONS = ("hand_over", "recycle", "handover_signal", "assign")
HANDOVER_CHANNEL = "triage_handover"


def _live_handover(db: peewee.Database) -> None:
    """Version 12: `triage serve`'s tokens, answers to idempotent calls, activity signals,
    and the outbox of decisions for marketing's webhooks, filled by a trigger on the audit
    trail; leads are found by email (ignoring case) and external id."""
    db.create_tables(INTEGRATION_TABLES, safe=True)
    db.execute_sql('CREATE INDEX IF NOT EXISTS lead_email_lower ON "lead" (lower("email"))')
    db.execute_sql('CREATE INDEX IF NOT EXISTS lead_external_id ON "lead" ("external_id")')
    insert = (f'INSERT INTO "outbox" ("event_id", "lead_id", "kind", "at", "fanned_out") '
              f'VALUES (NEW."id", NEW."lead_id", {OUTBOX_KIND}, NEW."at", FALSE)')
    if is_postgres(db):
        from . import roles

        db.execute_sql(
            "CREATE OR REPLACE FUNCTION triage_outbox() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
            f"SET search_path = public, pg_temp AS $$ BEGIN {insert}; RETURN NEW; END $$")
        db.execute_sql(f'CREATE TRIGGER audit_outbox AFTER INSERT ON "audit_event" FOR EACH ROW '
                       f'WHEN (NEW."action" IN {OUTBOX_ACTIONS}) EXECUTE FUNCTION triage_outbox()')
        roles.grant_integration(db)
    else:
        db.execute_sql(f'CREATE TRIGGER IF NOT EXISTS audit_outbox AFTER INSERT ON "audit_event" '
                       f'WHEN NEW."action" IN {OUTBOX_ACTIONS} BEGIN {insert}; END')


def _aggregate_indexes(db: peewee.Database) -> None:
    """Version 13: the team's reports count in the database along indexes, not over every
    lead in Python. Open MQLs by hand-over time (the SLA clock's thresholds, the balance's
    ages, the review board's leads handed over per channel) read one covering index; the
    audit trail by action and time (returns of a period, leads given in the window,
    decisions for the scoring report) reads another."""
    db.execute_sql('CREATE INDEX IF NOT EXISTS lead_handed ON "lead" ("stage", "handed_over_at", "owner", "channel")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS audit_event_action ON "audit_event" ("action", "at", "lead_id", "id")')
    if is_postgres(db):
        db.execute_sql('ANALYZE "lead"')
        db.execute_sql('ANALYZE "audit_event"')


def _handover_notify(db: peewee.Database) -> None:
    """Version 14: on PostgreSQL a hand-over's audit event sends NOTIFY on the hand-over
    channel when its transaction commits, so a running app is told at once. The payload is
    the audit event's id only: each app reads what its own login may see through the
    services (a rep's row-level security included)."""
    if is_postgres(db):
        actions = ", ".join(f"'{action}'" for action in HANDOVER_ACTIONS)
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION triage_handover_notify() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path = public, pg_temp AS $$ BEGIN PERFORM pg_notify('{HANDOVER_CHANNEL}', "
            "NEW.\"id\"::text); RETURN NEW; END $$")
        db.execute_sql(f'CREATE TRIGGER audit_handover_notify AFTER INSERT ON "audit_event" FOR EACH ROW '
                       f'WHEN (NEW."action" IN ({actions})) EXECUTE FUNCTION triage_handover_notify()')


MIGRATIONS: dict[int, Callable[[peewee.Database], None]] = {
    1: _initial_schema,
    2: _search_text_column,
    3: _scoring_columns,
    4: _postgres_ordering_and_search,
    5: _team_details,
    6: _import_columns,
    7: _rules_version_index,
    8: _no_merge_key_indexes,
    9: _audit_prior,
    10: _rules_in_the_database,
    11: _team_logins,
    12: _live_handover,
    13: _aggregate_indexes,
    14: _handover_notify,
}
SCHEMA_VERSION = max(MIGRATIONS)


def schema_version(db: peewee.Database) -> int:
    if not db.table_exists(MetaRow._meta.table_name):
        return 0
    row = MetaRow.get_or_none(MetaRow.key == "schema_version")
    return int(row.value) if row else 0


def migrate_to_current(db: peewee.Database) -> int:
    """Run every migration the database has not had yet; refuse a newer schema.

    A database already up to date is only read: a team member's login may read the schema
    version but not create tables."""
    if schema_version(db) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    with write_transaction(db):
        if is_postgres(db):
            # Two terminals opening a fresh database at once: one migrates, the other waits.
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        db.create_tables([MetaRow], safe=True)
        current = schema_version(db)
        if current > SCHEMA_VERSION:
            raise DatabaseError(
                f"the database has schema version {current}, newer than this triage "
                f"understands ({SCHEMA_VERSION}): upgrade triage"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](db)
            MetaRow.insert(key="schema_version", value=str(version)).on_conflict(
                conflict_target=[MetaRow.key], update={MetaRow.value: str(version)}
            ).execute()
    return SCHEMA_VERSION


def check_database(url: str | None = None) -> tuple[str, int]:
    """Whether `url` is reachable, and its schema version, without migrating it:
    (a line saying so, the schema version). Raises DatabaseError when unreachable, and
    MissingDatabase for a SQLite file that does not exist: checking creates nothing."""
    url = url or default_url()
    db = connect(url, create=False)
    try:
        db.connect(reuse_if_open=True)
        database.initialize(db)
        version = schema_version(db)
        server = db.execute_sql("SELECT version()" if is_postgres(db) else "SELECT 'SQLite ' || sqlite_version()")
        [(about,)] = server.fetchall()
        encrypted = is_postgres(db) and bool(db.execute_sql(
            "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)").fetchone()[0])
    except peewee.DatabaseError as exc:
        raise DatabaseError(f"cannot open database {redact(url)}: {_first_line(exc)}") from None
    finally:
        db.close()
    about = " ".join(about.split()[:2])
    if is_postgres(db):
        about += ", encrypted (TLS)" if encrypted else ", not encrypted (add ?sslmode=require to the URL for TLS)"
    if version == SCHEMA_VERSION:
        state = f"migrated (schema version {version} of {SCHEMA_VERSION})"
    elif version < SCHEMA_VERSION:
        state = (f"not migrated yet (schema version {version} of {SCHEMA_VERSION}): the next triage "
                 "command migrates it")
    else:
        state = f"schema version {version} is newer than this triage understands ({SCHEMA_VERSION}): upgrade triage"
    return f"{redact(url)}: reachable, {about}, {state}", version
