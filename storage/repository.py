"""Queries: the only code that reads and writes leads, audit events and the team."""

from __future__ import annotations

import functools
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NoReturn, Sequence, TypeVar

import peewee
from peewee import Tuple, chunked, fn

from triage.domain.errors import DatabaseError, LeadNotFound, StaleLead
from triage.domain.models import (AuditEvent, Lead, QueueRow, ReturnPath, ReturnReason, Role, Stage, TeamMember,
                                  utcnow)
from triage.domain.queue_order import keys_at, queue_key, with_score
from triage.domain.rules import RulesVersion
from triage.domain.queue import QueuePage, QueueView

from . import roles
from .export_pages import FEWEST_PAGES_FOR_READERS, PageShape, pages_from_readers, range_pages, windows
from .db import HANDOVER_ACTIONS, HANDOVER_CHANNEL, is_postgres, write_transaction
from .tables import (AuditRow, DeliveryRow, IdempotentCallRow, JsonField, LeadRow, OutboxRow, RulesRow, TeamRow,
                     TokenRow)

if TYPE_CHECKING:  # the import pipeline loads when an import runs, not on the way to the first screen
    from triage.files.importing import KnownLeads

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def failure_text(exc: Exception) -> str:
    """The first line of a driver's error: PostgreSQL adds the statement and a caret."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def database_errors(method: F) -> F:
    """A failing database (locked past the busy timeout, gone, corrupt) becomes one clear
    `DatabaseError`, which every caller already shows as a message, not a traceback."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}") from exc

    return wrapper  # type: ignore[return-value]


class HandoverListener:
    """PostgreSQL's notices of hand-overs on a connection of its own (autocommit, so each
    notice arrives as its transaction commits). A notice carries an audit event's id only."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def wait(self, timeout: float) -> bool:
        """Whether a hand-over was notified within `timeout` seconds; all pending notices
        are taken at once."""
        try:
            told = any(True for _ in self.connection.notifies(timeout=timeout, stop_after=1))
            if told:
                for _ in self.connection.notifies(timeout=0):
                    pass
            return told
        except Exception as exc:  # the connection lost: the caller falls back to looking
            raise DatabaseError(f"listening for hand-overs failed: {failure_text(exc)}") from exc

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # closing a connection already lost
            pass

    def __enter__(self) -> HandoverListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


LEAD_FIELDS = [name for name in Lead.model_fields]
QUEUE_COLUMNS = [
    LeadRow.id, LeadRow.first_name, LeadRow.last_name, LeadRow.company, LeadRow.channel,
    LeadRow.interest, LeadRow.score, LeadRow.handed_over_at, LeadRow.created_at,
    LeadRow.owner, LeadRow.version, LeadRow.queue_key,
]


def search_text(*parts: str) -> str:
    return " ".join(filter(None, parts)).casefold()


def _sql_literal(value: str | int | None) -> str:
    """A value as an SQL literal, the same in SQLite and PostgreSQL: a quote inside text is
    doubled, which is all either needs."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


#: The events that hand a lead to sales, whose answer the SLA clock measures from.
ANSWERED_HAND_OVERS = ("hand_over", "recycle", "board overturn")


def _moment(value: datetime | str) -> datetime:
    """A time as the driver gives it (SQLite: text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _month_starts(since: datetime, now: datetime) -> list[datetime]:
    """The start of each month after `since`'s, up to the one after `now`'s (naive UTC)."""
    day, last = _naive_utc(since), _naive_utc(now)
    year, month = day.year, day.month
    starts: list[datetime] = []
    while not starts or starts[-1] <= last:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        starts.append(datetime(year, month, 1))
    return starts


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=timezone.utc)


def _at(value: Any) -> datetime:
    """A stored moment that is never empty (a column NOT NULL), as an aware datetime."""
    return value.replace(tzinfo=timezone.utc)


def _event(row: Any, lead_id: int | None = None) -> AuditEvent:
    """An audit event as the domain knows it, from its row."""
    return AuditEvent(
        id=row.id, lead_id=row.lead_id if lead_id is None else lead_id, actor=row.actor,
        at=row.at.replace(tzinfo=timezone.utc), action=row.action,
        from_stage=None if row.from_stage is None else Stage(row.from_stage),
        to_stage=None if row.to_stage is None else Stage(row.to_stage),
        reason=None if row.reason is None else ReturnReason(row.reason),
        path=None if row.path is None else ReturnPath(row.path), note=row.note, prior=row.prior,
    )


def _lead_from_row(row: Any) -> Lead:
    values = {name: getattr(row, name) for name in LEAD_FIELDS}
    for name in ("created_at", "handed_over_at", "updated_at"):
        values[name] = _aware(values[name])
    return Lead.model_validate(values)


#: The columns made from a lead's fields rather than stored from one.
MADE_COLUMNS = frozenset({"queue_key", "search_text"})


def _row_values(lead: Lead, names: Iterable[str]) -> dict[str, Any]:
    """The lead's stored values of the columns `names` (an UPDATE of a few columns need not
    dump the others)."""
    values = lead.model_dump(include=set(names) - MADE_COLUMNS)
    for name in ("created_at", "handed_over_at", "updated_at"):
        if values.get(name) is not None:
            values[name] = _naive_utc(values[name])
    values["queue_key"] = queue_key(lead.interest, lead.handed_over_at or lead.created_at, lead.score)
    values["search_text"] = search_text(lead.first_name, lead.last_name, lead.company, lead.email)
    return values


def _member(row: Any) -> TeamMember:
    return TeamMember(
        login=row.login, name=row.name, role=row.role, capacity=row.capacity, cap=row.cap,
        away=row.away or [], countries=row.countries or [], languages=row.languages or [],
    )


#: The columns every change of a lead sets: its version and who changed it when, and the
#: keys made from its fields (the queue's order, the filter's text).
ALWAYS_WRITTEN = frozenset({"version", "updated_at", "updated_by", "queue_key", "search_text"})


def _as_stored(field: peewee.Field) -> bool:
    """Whether a column's value comes back from the database as the model wants it (text
    as str, integers as int: peewee's conversion only checks that), so that reading a lead,
    which marketing automation does for every signal, can skip it. Lead validates it anyway."""
    return type(field).python_value is peewee.Field.python_value and isinstance(
        field, (peewee._StringField, peewee.IntegerField))


AUDIT_COLUMNS = '"lead_id", "actor", "at", "action", "from_stage", "to_stage", "reason", "path", "note"'
#: Where the actor, the moment and the note are in a row of `_Statements.audit_values`.
AUDIT_ACTOR, AUDIT_AT, AUDIT_NOTE = 1, 2, 8
#: `LeadRepository.bulk_loading` checkpoints SQLite's write-ahead log every this many pages
#: (400 MB at 4 KB a page) instead of SQLite's 1,000: with batches of thousands of leads in
#: random places of the table, nearly every commit went past 1,000 and copied its pages at once.
BULK_CHECKPOINT_PAGES = 100_000


class _Statements:
    """The statements a rep's every decision runs, built once: peewee takes longer to
    build an UPDATE of every column than the database takes to run it."""

    def __init__(self, param: str) -> None:
        self.param = param
        self._updates: dict[frozenset[str], tuple[str, tuple[tuple[str, Callable[[Any], Any]], ...]]] = {}
        self._logged: dict[str, str] = {}
        fields = LeadRow._meta.sorted_fields
        self.read = [(field.name, None if _as_stored(field) else field.python_value) for field in fields]
        self.write = [(field.name, field.db_value) for field in fields if field.name != "id"]
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        self.select = f'SELECT {columns} FROM "lead" WHERE "id" = {param}'
        self.by_external_id = f'SELECT {columns} FROM "lead" WHERE "external_id" = {param} ORDER BY "id" LIMIT 1'
        self.by_email = f'SELECT {columns} FROM "lead" WHERE lower("email") = {param} ORDER BY "id" LIMIT 1'
        self.returning = f" RETURNING {columns}"
        audit_columns = AUDIT_COLUMNS
        self.audit = f'INSERT INTO "audit_event" ({audit_columns}, "prior") VALUES ({", ".join([param] * 10)})'
        #: A lead given to a rep (`LeadRepository._give`): (owner, updated_at, updated_by, id).
        self.give = (f'UPDATE "lead" SET "owner" = {param}, "version" = "version" + 1, "updated_at" = {param}, '
                     f'"updated_by" = {param} WHERE "id" = {param}')
        # PostgreSQL: the take and its event (as a change and its event, `logged`) as one
        # statement: one round trip instead of four, and atomic without a transaction.
        self.take_logged = (
            f'WITH picked AS (SELECT "id" FROM "lead" WHERE "stage" = {param} AND "owner" IS NULL '
            f'ORDER BY "queue_key", "id" LIMIT 1 FOR UPDATE SKIP LOCKED), '
            f'taken AS (UPDATE "lead" SET "owner" = {param}, "version" = "version" + 1, '
            f'"updated_at" = {param}, "updated_by" = {param} WHERE "id" = (SELECT "id" FROM picked) '
            f'RETURNING {columns}), '
            f'logged AS (INSERT INTO "audit_event" ({audit_columns}) '
            f'SELECT "id", {param}, {param}, {param}, NULL, NULL, NULL, NULL, {param} FROM taken) '
            f'SELECT {columns} FROM taken'
        )

    def update_of(self, changes: dict[str, Any]) -> tuple[str, tuple[tuple[str, Callable[[Any], Any]], ...]]:
        """An UPDATE of the changed columns only (and those a change always sets),
        so that indexes of columns left alone are not written: (statement, the columns it sets
        with their converters; then id and version). Built once per set of columns."""
        names = frozenset(changes) | ALWAYS_WRITTEN
        found = self._updates.get(names)
        if found is None:
            picked = tuple((name, convert) for name, convert in self.write if name in names)
            assignments = ", ".join(f'"{name}" = {self.param}' for name, _ in picked)
            found = (f'UPDATE "lead" SET {assignments} WHERE "id" = {self.param} AND "version" = {self.param}',
                     picked)
            self._updates[names] = found
        return found

    def logged(self, update: str) -> str:
        """PostgreSQL: `update` (of `update_of`) and its audit event as one statement."""
        found = self._logged.get(update)
        if found is None:
            found = self._logged[update] = (
                f'WITH changed AS ({update} RETURNING "id") INSERT INTO "audit_event" ({AUDIT_COLUMNS}, "prior") '
                f'SELECT "id", {", ".join([self.param] * 9)} FROM changed RETURNING "lead_id"')
        return found

    def lead(self, row: tuple) -> Lead:
        values = {name: value if convert is None else convert(value)
                  for (name, convert), value in zip(self.read, row, strict=True)}
        for name in ("created_at", "handed_over_at", "updated_at"):
            values[name] = _aware(values[name])
        return Lead.model_validate({name: values[name] for name in LEAD_FIELDS})

    def audit_values(self, lead_id: int, event: AuditEvent) -> tuple:
        return (lead_id, event.actor, _naive_utc(event.at), event.action, event.from_stage, event.to_stage,
                event.reason, event.path, event.note, AuditRow.prior.db_value(event.prior))


def _merge_keys(rows: Iterable[tuple[int, str, str, str, str, str, str, str]]) -> KnownLeads:
    """Every stored lead's identity for an import (`triage.files.importing.KnownLeads`), from
    (id, external id, email, phone, first name, last name, company, country). A lead with
    an email is known by it and its external id alone: its phone and name are not read."""
    from triage.files.importing import KnownLeads, identity

    known = KnownLeads()
    for lead_id, external_id, email, phone, first, last, company, country in rows:
        if email:
            known.add(lead_id, ("x:" + external_id if external_id else "", "e:" + email.casefold(), "", "", "", ""))
        else:
            known.add(lead_id, identity(external_id, email, phone, first, last, company, country))
    return known


class Breakdowns:
    """A score's parts as the JSON text `JsonField` stores them, made once per set of parts
    (leads share their breakdowns, and parts far more often)."""

    def __init__(self) -> None:
        self._texts: dict[tuple, str] = {}
        self._fragments: dict[tuple[str, int], str] = {}

    def _fragment(self, part: tuple[str, int]) -> str:
        reason, points = part
        text = LeadRow.score_breakdown.db_value({"reason": reason, "points": points})
        if len(self._fragments) < 100_000:
            self._fragments[part] = text
        return text

    def text(self, parts: tuple[tuple[str, int], ...]) -> str:
        found = self._texts.get(parts)
        if found is None:
            fragments = self._fragments
            found = "[" + ",".join([fragments.get(part) or self._fragment(part) for part in parts]) + "]"
            if len(self._texts) < 100_000:
                self._texts[parts] = found
        return found


def drop_to_build_again(db: peewee.Database, names: Iterable[str]) -> list[str]:
    """Drop the indexes and triggers named that exist, for a bulk write; the statements that
    create them again (`build_again`), in the same transaction."""
    statements = []
    for name in names:
        for kind, sql in db.execute_sql("SELECT type, sql FROM sqlite_master WHERE name = ?", (name,)).fetchall():
            db.execute_sql(f'DROP {kind.upper()} "{name}"')
            statements.append(sql)
    return statements


def build_again(db: peewee.Database, statements: list[str]) -> None:
    """Create the indexes (and triggers) of `statements` that a bulk write dropped, SQLite
    sorting for an index on a second core."""
    if not statements:
        return
    [(threads,)] = db.execute_sql("PRAGMA threads").fetchall()
    db.execute_sql("PRAGMA threads = 2")
    for sql in statements:
        db.execute_sql(sql)
    db.execute_sql(f"PRAGMA threads = {int(threads)}")


class BulkInsert:
    """New leads, many at once, inside one write transaction (see `LeadRepository.bulk_insert`):
    the one way leads are inserted. The INSERT is built once and run by the driver's
    executemany with bound parameters (peewee builds SQL row by row far slower than the
    database takes it); the ids are given here.

    Into an empty lead table on SQLite, the table's indexes are dropped and built again at
    the end in one sorted pass instead of grown row by row: the same transaction, so still
    all or nothing.
    """

    #: The columns a lead is inserted with, after its id: every column of the table.
    COLUMNS = tuple(field.column_name for field in LeadRow._meta.sorted_fields if field.name != "id")

    def __init__(self, repo: "LeadRepository", *, rebuild_indexes: bool = True) -> None:
        self.repo = repo
        db = repo.db
        self.postgres = is_postgres(db)
        self.sql = 'INSERT INTO "lead" ("id", {}) VALUES ({})'.format(
            ", ".join(f'"{column}"' for column in self.COLUMNS), ", ".join([db.param] * (len(self.COLUMNS) + 1)))
        self._indexes: list[str] = []
        [(self._last_id,)] = db.execute_sql('SELECT COALESCE(MAX("id"), 0) FROM "lead"').fetchall()
        self._rebuild = rebuild_indexes and not self._last_id and not self.postgres

    def _drop_indexes(self) -> None:
        db = self.repo.db
        names = db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lead' AND sql IS NOT NULL"
        ).fetchall()
        self._indexes = drop_to_build_again(db, [name for (name,) in names])

    def finish(self) -> None:
        build_again(self.repo.db, self._indexes)
        self._indexes = []

    def _new_ids(self, count: int) -> list[int]:
        """Ids for `count` new leads. SQLite: after the highest, which nobody else can take
        while this transaction holds the write lock. PostgreSQL: from the table's sequence."""
        if self.postgres:
            cursor = self.repo.db.execute_sql(
                "SELECT nextval(pg_get_serial_sequence('lead', 'id')) FROM generate_series(1, %s)", (count,)
            )
            return [lead_id for (lead_id,) in cursor.fetchall()]
        first = self._last_id + 1
        self._last_id += count
        return list(range(first, first + count))

    def insert(self, rows: list[tuple]) -> list[int]:
        """Insert `rows`, each the values of `COLUMNS` as the database takes them; their ids."""
        if not rows:
            return []
        if self._rebuild:
            self._rebuild = False
            self._drop_indexes()
        ids = self._new_ids(len(rows))
        self.repo.db.cursor().executemany(self.sql, [(lead_id, *row) for lead_id, row in zip(ids, rows, strict=True)])
        return ids


_DEFAULTS = {field.name: field.default() if callable(field.default) else field.default
             for field in LeadRow._meta.sorted_fields if field.name != "id"}
_IN_COLUMNS = itemgetter(*BulkInsert.COLUMNS)
_BREAKDOWNS = Breakdowns()


def lead_columns(rows: Iterable[dict[str, Any]]) -> list[tuple]:
    """New leads, given as the plain values of their fields (the score's parts as (reason,
    points); times aware or naive UTC; a field left out takes its default; an id is not
    used), as `BulkInsert.insert` takes them. Needs no database: another process may
    make them."""
    text, json_text = _BREAKDOWNS.text, LeadRow.extra.db_value
    made = []
    for row in rows:
        found = {**_DEFAULTS, **row}
        created, handed = _naive_utc(found["created_at"]), found["handed_over_at"]
        found["created_at"], found["updated_at"] = created, _naive_utc(found["updated_at"] or created)
        if handed is not None:
            found["handed_over_at"] = handed = _naive_utc(handed)
        found["queue_key"] = queue_key(found["interest"], created if handed is None else handed, found["score"])
        found["search_text"] = search_text(found["first_name"], found["last_name"], found["company"], found["email"])
        found["score_breakdown"] = text(tuple(found["score_breakdown"]))
        found["extra"] = json_text(found["extra"]) if found["extra"] else "{}"
        found["overrides"] = json_text(found["overrides"]) if found["overrides"] else "{}"
        made.append(_IN_COLUMNS(found))
    return made


class ImportSession(BulkInsert):
    """Writes of one import, inside its transaction (see `LeadRepository.import_session`)."""

    def __init__(self, repo: "LeadRepository") -> None:
        from triage.files.importing import RECORD_FIELDS

        super().__init__(repo)
        self._breakdowns = Breakdowns()
        #: What `add_fresh` has for each column: the imported fields in the order of
        #: `RECORD_FIELDS` up to `extra`, what storage adds, then the columns every lead
        #: of one import has the same value in.
        fresh = (*RECORD_FIELDS[:RECORD_FIELDS.index("extra")], "extra", "created_at", "score", "score_breakdown",
                 "queue_key", "search_text", "stage", "owner", "recycle_count", "version", "handed_over_at",
                 "updated_at", "updated_by", "rules_version", "overrides", "grade")
        self._in_columns = itemgetter(*(fresh.index(column) for column in self.COLUMNS))

    def add_fresh(self, rows: list[tuple], *, rules_version: str, now: datetime, updated_by: str) -> list[int]:
        """Insert new MQLs in the pool straight from prepared import rows (the fields of
        `RECORD_FIELDS`, then score and parts), with no objects on the way; their ids."""
        from triage.files.importing import RECORD_FIELDS

        moment = _naive_utc(now)
        stamp = moment.isoformat(" ")
        key = keys_at(moment)
        shared = (Stage.MQL.value, None, 0, 1, stamp, stamp, updated_by, rules_version, "{}", "")
        breakdown = self._breakdowns.text
        extra_json = LeadRow.extra.db_value
        fields, interest = RECORD_FIELDS.index("extra"), RECORD_FIELDS.index("interest")
        first, last, company, email = (RECORD_FIELDS.index(name) for name in ("first_name", "last_name", "company", "email"))
        in_columns = self._in_columns
        return self.insert([in_columns((
            *row[:fields], extra_json(extra) if extra else "{}", created, score, breakdown(parts),
            key(row[interest], score), search_text(row[first], row[last], row[company], row[email]), *shared,
        )) for row in rows for extra, created, score, parts in (row[fields:],)])

    def get(self, lead_id: int) -> Lead | None:
        return self.repo.get(lead_id)

    def change(self, lead: Lead, changes: dict[str, Any], event: AuditEvent) -> Lead:
        return self.repo.change(lead, changes, event)


#: A pool of at least this many leads that is also at least `BULK_POOL_SHARE` of all leads is
#: given with the two indexes that carry the owner dropped and built again (`PoolCopy`).
BULK_POOL_LEADS = 20_000
#: Keeping those two indexes up to date cost some 30 µs a lead given, building them again some
#: 3 µs a lead in the table (`bench/bench_assign_floor.py`, a million leads): from a tenth of the
#: table on, building is the cheaper.
BULK_POOL_SHARE = 1 / 10
#: Names of what `PoolCopy` drops while it gives a big pool, and builds again before its commit.
OWNER_INDEXES = ("lead_queue", "lead_handed")
OUTBOX_TRIGGER = "audit_outbox"


class PoolPages:
    """The unassigned pool a page at a time in queue order, read by the queue's index (keyset
    pages: PostgreSQL, where other members go on working while it is given); each page's
    leads given in a transaction of its own, only those still in the pool."""

    def __init__(self, repo: "LeadRepository", event: AuditEvent | None) -> None:
        self.repo, self.event = repo, event

    def pages(self, limit: int) -> Iterator[list[tuple[int, int, str, str]]]:
        after: tuple[str, int] | None = None
        while page := self.repo.pool_to_assign(after, limit=limit):
            after = (page[-1][4], page[-1][0])
            yield [row[:4] for row in page]
            if len(page) < limit:
                return

    def give(self, given: Sequence[tuple[int, str, str]]) -> list[int]:
        assert self.event is not None, "a dry run gives nothing"
        return self.repo.give_from_pool(given, self.event)


class PoolCopy:
    """The unassigned pool given in one write transaction (SQLite), all or nothing.

    The pool is copied in queue order into a temporary table, which the pages are read from,
    and each page's assignments are kept in a second one. `finish` then gives them all with
    one UPDATE and logs them with one INSERT, both in the order of the lead ids, so that each
    page of the lead table is read and written once: given a page of the pool at a time,
    whose leads lie all over the table, every page of the table was written again for each
    page of the pool with a lead on it.

    A big pool (`BULK_POOL_LEADS`, `BULK_POOL_SHARE`) is copied by one scan of the table,
    sorted, instead of a lead at a time through the queue's index, and the two indexes that
    carry the owner, with the outbox trigger (which no assignment fires but every audit row
    runs), are dropped after the copy and built again before the commit. Nobody else writes
    while the transaction holds the write lock, so every lead copied is still in the pool when
    it is given. With no event (a dry run) the copy is read and nothing is written."""

    def __init__(self, repo: "LeadRepository", event: AuditEvent | None) -> None:
        self.repo, self.event = repo, event
        self.db = db = repo.db
        self._rebuilt: list[str] = []
        self._given = 0
        # A second thread on this connection reads the next page and keeps each page's
        # assignments while the engine works on a page: sqlite3 lets go of the GIL while
        # SQLite works, so both cores are busy. SQLite serializes the calls on one connection
        # (sqlite3.threadsafety 3), all in this one transaction: a statement the caller runs
        # between pages waits for the thread's.
        self._connection = db.connection()
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pool-copy")
        self._kept: list[Future[None]] = []
        mql = Stage.MQL.value
        [(pool,)] = db.execute_sql('SELECT count(*) FROM "lead" WHERE "stage" = ? AND "owner" IS NULL',
                                   (mql,)).fetchall()
        [(leads,)] = db.execute_sql('SELECT count(*) FROM "lead"').fetchall()
        big = pool >= BULK_POOL_LEADS and pool >= leads * BULK_POOL_SHARE
        db.execute_sql('DROP TABLE IF EXISTS temp."pool_copy"')
        db.execute_sql(
            'CREATE TEMP TABLE "pool_copy" AS SELECT "id", "score", "country", "interest" FROM "lead"'
            + (" NOT INDEXED" if big else "")
            + ' WHERE "stage" = ? AND "owner" IS NULL ORDER BY "queue_key", "id"', (mql,))
        if event is None:
            return
        db.execute_sql('DROP TABLE IF EXISTS temp."pool_given"')
        db.execute_sql('CREATE TEMP TABLE "pool_given" ("lead_id" INTEGER NOT NULL, "owner" TEXT NOT NULL, '
                       '"note" TEXT NOT NULL)')
        if big:
            self._rebuilt = drop_to_build_again(db, (*OWNER_INDEXES, OUTBOX_TRIGGER))

    def pages(self, limit: int) -> Iterator[list[tuple[int, int, str, str]]]:
        """The copy's rows are numbered 1, 2, ... in queue order. The page after the one
        yielded is read meanwhile."""
        read = 0
        ahead = self._helper.submit(self._page, read, limit)
        while True:
            page = self._wait(ahead)
            if not page:
                return
            read += len(page)
            if len(page) == limit:
                ahead = self._helper.submit(self._page, read, limit)
            yield page
            if len(page) < limit:
                return

    def _page(self, after: int, limit: int) -> list[tuple[int, int, str, str]]:
        return self._connection.execute(
            'SELECT "id", "score", "country", "interest" FROM temp."pool_copy" WHERE "rowid" > ? '
            'ORDER BY "rowid" LIMIT ?', (after, limit)).fetchall()

    def give(self, given: Sequence[tuple[int, str, str]]) -> list[int]:
        """Keep (lead id, rep, note) to be given at `finish`, by the second thread: one
        statement a page, the rows handed over as one JSON array (through json_each), so
        that the thread waits for the GIL once a page, not once a row."""
        assert self.event is not None, "a dry run gives nothing"
        self._kept.append(self._helper.submit(self._keep, json.dumps(given)))
        self._given += len(given)
        return [lead_id for lead_id, _, _ in given]

    def _keep(self, given: str) -> None:
        self._connection.execute('INSERT INTO temp."pool_given" SELECT "value" ->> 0, "value" ->> 1, "value" ->> 2 '
                                 'FROM json_each(?)', (given,))

    @staticmethod
    def _wait(work: Future[T]) -> T:
        with peewee.__exception_wrapper__:  # type: ignore[attr-defined]  # sqlite3's errors as peewee's
            return work.result()

    def close(self) -> None:
        """The second thread done: what it has begun finished, the rest not begun. Before
        the transaction ends, which must not happen while it still uses the connection."""
        self._helper.shutdown(wait=True, cancel_futures=True)

    def finish(self) -> None:
        db = self.db
        for kept in self._kept:  # a page that failed to be kept fails the whole
            self._wait(kept)
        self.close()
        if self.event is not None:
            audit = self.repo.sql.audit_values(0, self.event)
            # Sorted by id once, into a table keyed by it: the UPDATE walks it and the lead
            # table in the same order, and the audit rows follow it without sorting again.
            db.execute_sql('CREATE TEMP TABLE "pool_given_by_id" ("lead_id" INTEGER PRIMARY KEY, '
                           '"owner" TEXT NOT NULL, "note" TEXT NOT NULL)')
            db.execute_sql('INSERT INTO temp."pool_given_by_id" SELECT * FROM temp."pool_given" ORDER BY "lead_id"')
            db.execute_sql('DROP TABLE temp."pool_given"')
            # IN, not UPDATE ... FROM, which SQLite runs as a join into a table of the new rows
            # first, reading every lead twice (a third of the assignment's time, measured): here
            # the given ids are walked in order, each lead read and written once.
            updated = db.execute_sql(
                'UPDATE "lead" SET "owner" = (SELECT "owner" FROM temp."pool_given_by_id" WHERE "lead_id" = "lead"."id"), '
                '"version" = "version" + 1, "updated_at" = ?, "updated_by" = ? '
                'WHERE "id" IN (SELECT "lead_id" FROM temp."pool_given_by_id")',
                (audit[AUDIT_AT], audit[AUDIT_ACTOR])).rowcount
            # Every lead the audit rows name was just updated, so they all exist: what the
            # foreign key, off for this transaction (see `assigning_pool`), would check row by row.
            if updated != self._given:
                raise peewee.IntegrityError(f"{self._given - updated} of the leads to give are not in the database")
            db.execute_sql(
                f'INSERT INTO "audit_event" ({AUDIT_COLUMNS}, "prior") SELECT "lead_id", '
                f'{", ".join(["?"] * (AUDIT_NOTE - 1))}, "note", ? FROM temp."pool_given_by_id" ORDER BY "lead_id"',
                (*audit[1:AUDIT_NOTE], *audit[AUDIT_NOTE + 1:]))
            build_again(db, self._rebuilt)
            self._rebuilt = []
            db.execute_sql('DROP TABLE temp."pool_given_by_id"')
        db.execute_sql('DROP TABLE temp."pool_copy"')


class LeadRepository:
    """Leads, their audit trail and the team, on one open database."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self.sql = _Statements(db.param)
        self._owner: str | None = None
        self._breakdowns = Breakdowns()
        #: The leads as this connection last took or changed them, by id (see `get_at`).
        self._written: dict[int, Lead] = {}

    def _alone(self, sql: str, params: tuple) -> Any:
        """PostgreSQL: one statement on its own, atomic by itself (the connection commits
        each statement) and, unlike `execute_sql`, never sent again on a new connection
        after a lost one: one round trip where BEGIN, the statement and COMMIT were three.
        Inside a transaction it is part of that one."""
        with peewee.__exception_wrapper__:  # type: ignore[attr-defined]  # (not in its stubs)
            cursor = self.db.cursor()
            cursor.execute(sql, params)
        return cursor

    @database_errors
    def get(self, lead_id: int) -> Lead | None:
        row = self.db.execute_sql(self.sql.select, (lead_id,)).fetchone()
        return None if row is None else self.sql.lead(row)

    def get_at(self, lead_id: int, version: int) -> Lead | None:
        """The lead, when the caller is about to change it at `version`: as this connection
        took or changed it last if that is `version`, without reading it again, else as
        stored. Every change is refused unless the lead is still at the version it was read
        at, so a lead someone changed since fails its change as stale just as if read here."""
        lead = self._written.get(lead_id)
        return lead if lead is not None and lead.version == version else self.get(lead_id)

    def _wrote(self, lead: Lead) -> Lead:
        if len(self._written) >= 256:
            self._written.clear()
        self._written[lead.id] = lead
        return lead

    @database_errors
    def history(self, lead_id: int) -> list[AuditEvent]:
        query = AuditRow.select().where(AuditRow.lead == lead_id).order_by(AuditRow.at, AuditRow.id)
        return [_event(row, lead_id) for row in query]

    @database_errors
    def change(self, lead: Lead, changes: dict[str, Any], event: AuditEvent) -> Lead:
        """Apply `changes` only if the lead is still at `lead.version`, with its audit event."""
        updated = lead.model_copy(
            update={**changes, "version": lead.version + 1, "updated_at": event.at, "updated_by": event.actor}
        )
        statement, picked = self.sql.update_of(changes)
        values = _row_values(updated, (name for name, _convert in picked))
        row = (*(convert(values[name]) for name, convert in picked), lead.id, lead.version)
        if is_postgres(self.db):
            # Alone, so that a lost connection raises instead of the statement being sent
            # again on a new one (the caller then finds out what was stored).
            logged = self._alone(self.sql.logged(statement), row + self.sql.audit_values(lead.id, event)[1:]).fetchone()
            if logged is None:
                self._refuse_change(lead.id)
            return self._wrote(updated)
        with write_transaction(self.db):
            if self.db.execute_sql(statement, row).rowcount != 1:
                self._refuse_change(lead.id)
            self.db.execute_sql(self.sql.audit, self.sql.audit_values(lead.id, event))
        return self._wrote(updated)

    def _refuse_change(self, lead_id: int) -> NoReturn:
        """A change that found its lead gone, or at another version than it was read at."""
        current = self.get(lead_id)
        if current is None:
            raise LeadNotFound(lead_id)
        raise StaleLead(lead_id, current.updated_by, current.updated_at)

    @database_errors
    def take_next(self, event: AuditEvent) -> Lead | None:
        """Give the first lead of the unassigned pool, in queue order, to `event.actor`,
        with `event` as its audit: the lead as taken, or None when the pool is empty.

        Two reps never get the same lead. On PostgreSQL the pick locks its row and skips
        rows other takers hold (FOR UPDATE SKIP LOCKED), so nobody waits; on SQLite the
        IMMEDIATE transaction lets one writer pick at a time.
        """
        now, actor, p = _naive_utc(event.at), event.actor, self.db.param
        pick = (
            f'SELECT "id" FROM "lead" WHERE "stage" = {p} AND "owner" IS NULL '
            f'ORDER BY "queue_key", "id" LIMIT 1'
        )
        if is_postgres(self.db):
            taken = self._alone(  # never retried on a new connection: it might take a second lead
                self.sql.take_logged, (Stage.MQL.value, actor, now, actor, actor, now, event.action, event.note)
            ).fetchone()
            return None if taken is None else self._wrote(self.sql.lead(taken))
        with write_transaction(self.db):
            row = self.db.execute_sql(pick, (Stage.MQL.value,)).fetchone()
            if row is None:
                return None
            lead_id = row[0]
            taken = self.db.execute_sql(
                f'UPDATE "lead" SET "owner" = {p}, "version" = "version" + 1, "updated_at" = {p}, '
                f'"updated_by" = {p} WHERE "id" = {p} AND "owner" IS NULL' + self.sql.returning,
                (actor, now, actor, lead_id),
            ).fetchone()
            if taken is None:  # cannot happen under the lock; never hand out a taken lead
                return None
            self.db.execute_sql(self.sql.audit, self.sql.audit_values(lead_id, event))
        return self._wrote(self.sql.lead(taken))

    def _queue_query(self, view: QueueView, login: str, text: str) -> Any:
        owner = LeadRow.owner.is_null() if view is QueueView.POOL else LeadRow.owner == login
        query = LeadRow.select(*QUEUE_COLUMNS).where((LeadRow.stage == Stage.MQL.value) & owner)
        needle = text.strip().casefold()
        if needle:
            query = query.where(LeadRow.search_text.contains(needle))
        return query

    @database_errors
    def queue_page(
        self,
        view: QueueView,
        login: str,
        *,
        after: tuple[str, int] | None = None,
        before: tuple[str, int] | None = None,
        text: str = "",
        limit: int = 100,
    ) -> QueuePage:
        """One page of the queue in priority order, paged by key, never by offset.

        `after` gives the page following that (queue_key, id); `before` the page
        preceding it, still returned in queue order.
        """
        query = self._queue_query(view, login, text)
        key = Tuple(LeadRow.queue_key, LeadRow.id)
        if before is not None:
            query = query.where(key < Tuple(*before)).order_by(LeadRow.queue_key.desc(), LeadRow.id.desc())
        else:
            if after is not None:
                query = query.where(key > Tuple(*after))
            query = query.order_by(LeadRow.queue_key, LeadRow.id)
        rows = list(query.limit(limit + 1).namedtuples())
        more = len(rows) > limit
        rows = rows[:limit]
        if before is not None:
            rows.reverse()
        return QueuePage(
            rows=[
                QueueRow(
                    id=row.id, first_name=row.first_name, last_name=row.last_name,
                    company=row.company, channel=row.channel, interest=row.interest,
                    score=row.score, handed_over_at=_at(row.handed_over_at or row.created_at),
                    owner=row.owner, version=row.version, queue_key=row.queue_key,
                )
                for row in rows
            ],
            more=more,
        )

    @database_errors
    def queue_count(self, view: QueueView, login: str, *, text: str = "", at_most: int | None = None) -> int:
        """The queue's leads; with `at_most`, counting stops after `at_most + 1` of them, so
        that a count of a million costs no more than one of `at_most` (the caller shows
        "10,000+" for a count above `at_most`)."""
        query = self._queue_query(view, login, text)
        if at_most is None:
            return query.count()
        # In the queue's order, as its page is read: for a word many leads share, PostgreSQL
        # then walks the queue's index and stops at `at_most + 1` matches instead of
        # collecting every match from the trigram index first.
        sql, params = query.select(LeadRow.id).order_by(LeadRow.queue_key, LeadRow.id).limit(at_most + 1).sql()
        [(count,)] = self.db.execute_sql(f"SELECT COUNT(*) FROM ({sql}) AS capped", params).fetchall()
        return int(count)

    def list_leads(
        self, *, stage: Stage | None = None, owner: str | None = None, limit: int | None = None,
        visible_to: str | None = None,
    ) -> Iterator[Lead]:
        """Leads in id order; with `visible_to`, only that rep's own and the pool's."""
        query = LeadRow.select().order_by(LeadRow.id)
        if stage is not None:
            query = query.where(LeadRow.stage == stage.value)
        if owner is not None:
            query = query.where(LeadRow.owner == owner)
        if visible_to is not None:
            query = query.where((LeadRow.owner == visible_to) | LeadRow.owner.is_null())
        if limit is not None:
            query = query.limit(limit)
        try:
            for row in query.iterator():
                yield _lead_from_row(row)
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}") from exc

    @database_errors
    def add_leads(self, leads: Iterable[Lead], batch: int = 5000) -> int:
        """Insert many leads in one transaction (`add_lead_rows`); the store numbers them."""
        return self.add_lead_rows(({**lead.__dict__, "score_breakdown": tuple(
            (part.reason, part.points) for part in lead.score_breakdown)} for lead in leads), batch)

    @database_errors
    def add_lead_rows(self, rows: Iterable[dict[str, Any]], batch: int = 5000) -> int:
        """Insert many new leads given as the plain values of their fields (see
        `lead_columns`), in one transaction: the store numbers them."""
        return self.add_lead_chunks(lead_columns(chunk) for chunk in chunked(rows, batch))

    @database_errors
    def add_lead_chunks(self, chunks: Iterable[list[tuple]]) -> int:
        """Insert many new leads, chunks of rows as `lead_columns` makes them, in one
        transaction (`bulk_insert`): the demo seeder's million leads, made elsewhere while
        the chunks before are stored. The store numbers them."""
        count = 0
        with self.bulk_insert() as bulk:
            for chunk in chunks:
                count += len(bulk.insert(chunk))
        return count

    @contextmanager
    def bulk_insert(self) -> Iterator[BulkInsert]:
        """One write transaction for many new leads: committed at the end, or not at all."""
        with write_transaction(self.db):
            bulk = BulkInsert(self)
            yield bulk
            bulk.finish()

    @database_errors
    def import_keys(self) -> KnownLeads:
        """Every stored lead's identity keys for an import (see `_merge_keys`)."""
        return _merge_keys(LeadRow.select(
            LeadRow.id, LeadRow.external_id, LeadRow.email, LeadRow.phone, LeadRow.first_name, LeadRow.last_name,
            LeadRow.company, LeadRow.country).tuples().iterator())

    @database_errors
    def pool_leads_among(self, lead_ids: list[int], chunk: int = 500) -> list[Lead]:
        """Those of `lead_ids` that are MQLs in the unassigned pool, in queue order."""
        found: list[tuple[str, int, Lead]] = []
        for start in range(0, len(lead_ids), chunk):
            query = LeadRow.select().where(
                LeadRow.id.in_(lead_ids[start:start + chunk]) & (LeadRow.stage == Stage.MQL.value)
                & LeadRow.owner.is_null())
            found.extend((row.queue_key, row.id, _lead_from_row(row)) for row in query.namedtuples())
        found.sort(key=lambda item: item[:2])
        return [lead for _, _, lead in found]

    @contextmanager
    def import_session(self) -> Iterator["ImportSession"]:
        """One write transaction for a whole import: committed at the end, or not at all."""
        try:
            with write_transaction(self.db):
                session = ImportSession(self)
                yield session
                session.finish()
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}; nothing was imported") from exc

    @contextmanager
    def bulk_loading(self, cache_mb: int = 256) -> Iterator[None]:
        """Around a big write of many transactions (the demo seeder's million leads), on
        SQLite: a page cache of `cache_mb`, so that the pages a batch changes stay in
        memory until its commit, and a checkpoint of the
        write-ahead log once every `BULK_CHECKPOINT_PAGES` instead of after nearly every
        commit: a page that several batches change is copied into the database once per
        checkpoint, not once per batch. The log is checkpointed at the end, so that the
        command, not whoever writes next, pays for it."""
        if not isinstance(self.db, peewee.SqliteDatabase):
            yield
            return
        before = self.db.cache_size, self.db.wal_autocheckpoint
        self.db.cache_size = -cache_mb * 1024
        self.db.wal_autocheckpoint = BULK_CHECKPOINT_PAGES
        try:
            yield
        finally:
            self.db.cache_size, self.db.wal_autocheckpoint = before
            if not self.db.in_transaction():
                self.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")

    @contextmanager
    def assigning_pool(self, event: AuditEvent | None) -> Iterator[PoolPages | PoolCopy]:
        """The unassigned pool to give to the reps, each lead logged as `event` with its own
        note; with no event, only read, for a dry run. SQLite: a `PoolCopy` in one write
        transaction (the write happens as the block ends; an error there or in the block
        leaves the pool as it was). PostgreSQL: `PoolPages`, a transaction a page."""
        if is_postgres(self.db):
            yield PoolPages(self, event)
            return
        [(threads,)] = self.db.execute_sql("PRAGMA threads").fetchall()
        self.db.execute_sql("PRAGMA threads = 2")  # SQLite's sorts on a second core
        try:
            if event is None:
                try:
                    pool = PoolCopy(self, None)
                    try:
                        yield pool
                    finally:
                        pool.close()
                finally:
                    self.db.execute_sql('DROP TABLE IF EXISTS temp."pool_copy"')
                return
            # The audit rows' foreign key is checked once for all by `PoolCopy.finish` instead
            # of a lookup per row, a twentieth of the assignment. (No-op within a transaction.)
            [(checked,)] = self.db.execute_sql("PRAGMA foreign_keys").fetchall()
            self.db.execute_sql("PRAGMA foreign_keys = 0")
            try:
                with write_transaction(self.db):
                    pool = PoolCopy(self, event)
                    try:
                        yield pool
                        pool.finish()
                    finally:
                        pool.close()
            finally:
                self.db.execute_sql(f"PRAGMA foreign_keys = {int(checked)}")
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}"
                                + ("; nothing was assigned" if event is not None else "")) from exc
        finally:
            self.db.execute_sql(f"PRAGMA threads = {int(threads)}")

    @database_errors
    def count_to_rescore(self, rules_version: str) -> int:
        # Two index ranges instead of `!=`, which would read every lead.
        other = (LeadRow.rules_version < rules_version) | (LeadRow.rules_version > rules_version)
        return LeadRow.select().where(other).count()

    @database_errors
    def leads_to_rescore(self, rules_version: str, fields: tuple[str, ...], after_id: int = 0,
                         limit: int = 2000) -> list[tuple]:
        """The next leads, by id after `after_id`, that another rules version scored, as
        plain rows: (id, version, score, breakdown, queue key, overrides, *the values of
        `fields`). The overrides are None when the lead has none; the breakdown is as
        stored, for `save_scores` to compare."""
        p = self.db.param
        columns = ", ".join(f'"{LeadRow._meta.fields[name].column_name}"' for name in fields)
        rows = self.db.execute_sql(
            'SELECT "id", "version", "score", "score_breakdown", "queue_key", '
            f"""CASE WHEN "overrides" = '{{}}' THEN NULL ELSE "overrides" END, {columns} FROM "lead" """
            f'WHERE ("rules_version" < {p} OR "rules_version" > {p}) AND "id" > {p} ORDER BY "id" LIMIT {p}',
            (rules_version, rules_version, after_id, limit)).fetchall()
        if any(row[5] is not None for row in rows):
            rows = [row if row[5] is None else (*row[:5], json.loads(row[5]) or None, *row[6:]) for row in rows]
        return rows

    @database_errors
    def save_scores(self, rules_version: str, scored: Iterable[tuple[tuple, int, tuple[tuple[str, int], ...]]]) -> int:
        """Store new scores of rows of `leads_to_rescore` (each row, its score, its parts) in
        one transaction; a lead whose score and parts are as they were only gets the new
        rules version. A lead changed since it was read keeps its old rules version, so the
        next rescore takes it up again. Not audited: a score is not a decision, and the
        lead records the rules version that made it."""
        p = self.db.param
        changed, same = [], []
        text = self._breakdowns.text
        for row, score, parts in scored:
            breakdown = text(parts)
            if score == row[2] and breakdown == row[3]:
                same.append((rules_version, row[0], row[1]))
            else:
                changed.append((score, breakdown, rules_version, with_score(row[4], score), row[0], row[1]))
        with write_transaction(self.db):
            cursor = self.db.cursor()
            if changed:
                cursor.executemany(
                    f'UPDATE "lead" SET "score" = {p}, "score_breakdown" = {p}, "rules_version" = {p}, '
                    f'"queue_key" = {p} WHERE "id" = {p} AND "version" = {p}', changed)
            if same:
                cursor.executemany(f'UPDATE "lead" SET "rules_version" = {p} WHERE "id" = {p} AND "version" = {p}', same)
        return len(changed) + len(same)

    def decided_leads(self, chunk: int = 500) -> Iterator[tuple[Lead, bool]]:
        """Every lead sales decided, with True when its latest decision was to accept; an
        undone decision does not count (the one before it does again)."""
        try:
            decisions: dict[int, list[bool]] = {}
            query = (
                AuditRow.select(AuditRow.lead, AuditRow.action)
                .where(AuditRow.action.in_(("accept", "return", "undo")))
                .order_by(AuditRow.id)
                .tuples()
            )
            for lead_id, action in query.iterator():
                if action == "undo":
                    if decisions.get(lead_id):
                        decisions[lead_id].pop()
                else:
                    decisions.setdefault(lead_id, []).append(action == "accept")
            latest = {lead_id: made[-1] for lead_id, made in decisions.items() if made}
            ids = sorted(latest)
            for start in range(0, len(ids), chunk):
                for row in LeadRow.select().where(LeadRow.id.in_(ids[start:start + chunk])).order_by(LeadRow.id):
                    yield _lead_from_row(row), latest[row.id]
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}") from exc

    @database_errors
    def change_marker(self) -> tuple[int, int]:
        """Changes when anyone decides, overrides or imports: the newest audit event and lead."""
        cursor = self.db.execute_sql(
            'SELECT (SELECT MAX(id) FROM "audit_event"), (SELECT MAX(id) FROM "lead")'
        )
        events, leads = cursor.fetchone()
        return events or 0, leads or 0

    @database_errors
    def handovers_up_to(self, after: int, login: str) -> tuple[int, list[tuple[int, int, str, str, str]]]:
        """The newest audit event's id, and the hand-overs since `after` up to it that `login`
        sees (to them, or to the pool): (event id, lead id, first name, last name, note).
        Reads only the events since `after`, along the audit trail's key."""
        param = self.db.param
        [(top,)] = self.db.execute_sql('SELECT COALESCE(MAX("id"), 0) FROM "audit_event"').fetchall()
        if top <= after:
            return top, []
        rows = self.db.execute_sql(
            f'SELECT e."id", e."lead_id", l."first_name", l."last_name", e."note" FROM "audit_event" e '
            f'JOIN "lead" l ON l."id" = e."lead_id" WHERE e."id" > {param} AND e."id" <= {param} '
            f'AND e."action" IN ({", ".join(_sql_literal(action) for action in HANDOVER_ACTIONS)}) '
            f'AND (l."owner" = {param} OR l."owner" IS NULL) ORDER BY e."id" LIMIT 50',
            (after, top, login)).fetchall()
        return top, [tuple(row) for row in rows]

    @database_errors
    def nurture_segments(self, fields: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        """Leads marketing nurtures, new ones (never handed over) and returned ones, in
        that order by id: the lead's `fields`, and for a returned lead its last return
        (`returned_at`, `returned_by`, `return_reason`, `return_note`, and `reached`: the
        stage it had when sales returned it). One query, streamed."""
        columns = ", ".join(f'l."{name}"' for name in fields)
        cursor = self.db.execute_sql(
            f'SELECT {columns}, e."at", e."actor", e."reason", e."note", e."from_stage" FROM "lead" l '
            'LEFT JOIN "audit_event" e ON l."stage" = \'returned\' AND e."id" = (SELECT MAX(x."id") '
            'FROM "audit_event" x WHERE x."lead_id" = l."id" AND x."action" = \'return\') '
            'WHERE l."stage" IN (\'new\', \'returned\') ORDER BY l."stage" = \'returned\', l."id"')
        names = [*fields, "returned_at", "returned_by", "return_reason", "return_note", "reached"]
        for row in cursor:
            values = dict(zip(names, row))
            for name in ("created_at", "returned_at"):
                if isinstance(values.get(name), str):  # SQLite keeps times as text
                    values[name] = datetime.fromisoformat(values[name])
                values[name] = _aware(values.get(name))
            yield values

    def _stamp(self, value: datetime) -> datetime | str:
        """A time as a parameter compared with stored times (SQLite keeps them as text)."""
        naive = _naive_utc(value)
        return naive if is_postgres(self.db) else naive.isoformat(sep=" ")

    def _period(self, column: str, length: int) -> str:
        """SQL for the first `length` characters of a time as text: 7 the month, 13 the hour."""
        if is_postgres(self.db):
            return f"to_char({column}, '{'YYYY-MM' if length == 7 else 'YYYY-MM-DD HH24'}')"
        return f"substr({column}, 1, {length})"

    def _answers(self, dues: list[tuple[str, datetime, datetime]]) -> str:
        """Each accept or return since a time (the one parameter), with the hand-over it
        answered (the lead's own if not later, else the last hand-over event before it, else
        the lead's creation) and the due times of its hand-over's hour from `dues`."""
        hand_overs = ", ".join(_sql_literal(action) for action in ANSWERED_HAND_OVERS)
        stamp = (lambda moment: f"CAST({_sql_literal(_naive_utc(moment).isoformat(sep=' '))} AS TIMESTAMP)") \
            if is_postgres(self.db) else (lambda moment: _sql_literal(_naive_utc(moment).isoformat(sep=" ")))
        values = ", ".join(f"({_sql_literal(hour)}, {stamp(first)}, {stamp(last)})" for hour, first, last in dues) \
            or "(NULL, NULL, NULL)"
        handed = (
            'SELECT e."at" AS answered, CASE WHEN l."handed_over_at" <= e."at" THEN l."handed_over_at" '
            'ELSE COALESCE((SELECT MAX(h."at") FROM "audit_event" h '
            f'WHERE h."lead_id" = e."lead_id" AND h."action" IN ({hand_overs}) AND h."id" < e."id"), '
            'l."created_at") END AS handed '
            'FROM "audit_event" e JOIN "lead" l ON l."id" = e."lead_id" '
            f'WHERE e."action" IN (\'accept\', \'return\') AND e."at" >= {self.db.param}')
        return (f'WITH dues("hour", "first", "last") AS MATERIALIZED (SELECT * FROM (VALUES {values}) v), '
                f'answers AS ({handed}) '
                f'SELECT a.answered, a.handed, d."first", d."last" FROM answers a '
                f'LEFT JOIN dues d ON d."hour" = {self._period("a.handed", 13)}')

    @database_errors
    def answers_by_month(self, since: datetime, dues: list[tuple[str, datetime, datetime]]
                         ) -> list[tuple[str, datetime | None, datetime | None, int, int]]:
        """Sales' answers since `since`, grouped in the database: (month "YYYY-MM", None,
        None, answers, answers surely within the SLA, i.e. no later than the due time of the
        start of their hand-over's hour) and, for each answer after that but not after the
        due time of the hour's end, (month, handed over, answered, 1, 0): to be measured."""
        month = self._period("answered", 7)
        near = 'answered > "first" AND answered <= "last"'
        cursor = self.db.execute_sql(
            f"SELECT {month}, CASE WHEN {near} THEN handed END, CASE WHEN {near} THEN answered END, COUNT(*), "
            f'SUM(CASE WHEN answered <= "first" THEN 1 ELSE 0 END) FROM ({self._answers(dues)}) x GROUP BY 1, 2, 3',
            (self._stamp(since),))
        return [(str(m), _aware(_moment(h)) if h else None, _aware(_moment(a)) if a else None, int(n), int(sure or 0))
                for m, h, a, n, sure in cursor.fetchall()]

    @database_errors
    def handed_over_by_month(self, since: datetime) -> dict[str, int]:
        """MQLs marketing handed over per month ("YYYY-MM", UTC) since `since`: each hand-over
        and recycle, and each lead that came in as an MQL (an import, the API) by its
        hand-over, or by its creation once a recycle wrote a later hand-over over it.

        The leads are counted in one pass with a sum per month up to the next month: grouped
        by the month's name, SQLite sorted a million of them (1.6 s, and more with the app's
        small page cache). Leads dated after that (a clock set ahead) are grouped."""
        param = self.db.param
        events = self._period('"at"', 7)
        came = 'CASE WHEN l."recycle_count" = 0 THEN l."handed_over_at" ELSE l."created_at" END'
        # SQLite, without statistics, would look for each lead's hand-over among all the
        # hand-over events (the action's index): a million leads times every hand-over.
        by_lead = "" if is_postgres(self.db) else ' INDEXED BY "audit_event_lead_id"'
        came_as_mql = (f'FROM "lead" l WHERE l."handed_over_at" IS NOT NULL AND ({came}) >= {param} '
                       f'AND NOT EXISTS (SELECT 1 FROM "audit_event" x{by_lead} WHERE x."lead_id" = l."id" '
                       'AND x."action" = \'hand_over\')')
        found: dict[str, int] = {}
        for month, count in self.db.execute_sql(
                f'SELECT {events}, COUNT(*) FROM "audit_event" WHERE "action" IN (\'hand_over\', \'recycle\') '
                f'AND "at" >= {param} GROUP BY 1', (self._stamp(since),)).fetchall():
            found[str(month)] = int(count)
        starts = _month_starts(since, utcnow())
        sums = "".join(f", SUM(CASE WHEN ({came}) >= {param} THEN 1 ELSE 0 END)" for _ in starts)
        [(total, *at_least)] = self.db.execute_sql(
            f"SELECT COUNT(*){sums} {came_as_mql}", (*map(self._stamp, starts), self._stamp(since))).fetchall()
        counts = [int(total), *(int(value or 0) for value in at_least)]
        months = [f"{_naive_utc(since):%Y-%m}", *(f"{start:%Y-%m}" for start in starts[:-1])]
        for month, count, later in zip(months, counts, counts[1:]):
            if count - later:
                found[month] = found.get(month, 0) + count - later
        if counts[-1]:
            for month, count in self.db.execute_sql(
                    f"SELECT {self._period(f'({came})', 7)}, COUNT(*) {came_as_mql} GROUP BY 1",
                    (self._stamp(starts[-1]),)).fetchall():
                found[str(month)] = found.get(str(month), 0) + int(count)
        return found

    def listen_for_handovers(self) -> HandoverListener | None:
        """A connection of its own LISTENing on the hand-over channel (PostgreSQL); None
        where the database cannot tell (SQLite: the app looks at the change marker)."""
        if not is_postgres(self.db):
            return None
        try:
            connection = self.db._connect()  # type: ignore[attr-defined]  # a new connection, not the thread's
            connection.execute(f"LISTEN {HANDOVER_CHANNEL}")
        except Exception as exc:  # psycopg's own errors: this connection is not peewee's
            raise DatabaseError(f"cannot listen for hand-overs: {failure_text(exc)}") from exc
        return HandoverListener(connection)

    # --- the team's work ---------------------------------------------------------------

    @database_errors
    def open_lead_tallies(self, moments: list[datetime | None]) -> dict[str | None, list[int]]:
        """Per owner (None: the unassigned pool) of open MQLs: [how many, how many have a
        hand-over time, and for each of `moments` how many were handed over at or before
        it] (0 for a moment None). The SLA clock turns its states and ages into such
        moments, so no lead is read into Python. Counted along the hand-over index span by
        span between the moments, each span's leads per owner, and summed up to each
        moment: grouping a million leads at once, or summing a CASE per moment over each,
        took 1.6 s at a million open MQLs; the spans take 0.7 s."""
        p = self.db.param
        # SQLite, without statistics, would walk the queue's index for its order of owners
        # and read every lead's row for its hand-over: five times slower than this one.
        hint = "" if is_postgres(self.db) else ' INDEXED BY "lead_handed"'
        bounds = sorted({_naive_utc(moment) for moment in moments if moment is not None})
        spans: dict[str | None, list[int]] = {}
        for index in range(len(bounds) + 2):  # up to each bound, after the last, no hand-over
            where = [f'"stage" = {p}']
            params: list[object] = [Stage.MQL.value]
            if index == len(bounds) + 1:
                where.append('"handed_over_at" IS NULL')
            elif index == len(bounds) == 0:
                where.append('"handed_over_at" IS NOT NULL')
            if 0 < index <= len(bounds):
                where.append(f'"handed_over_at" > {p}')
                params.append(bounds[index - 1])
            if index < len(bounds):
                where.append(f'"handed_over_at" <= {p}')
                params.append(bounds[index])
            sql = f'SELECT "owner", COUNT(*) FROM "lead"{hint} WHERE {" AND ".join(where)} GROUP BY "owner"'
            for owner, count in self.db.execute_sql(sql, params).fetchall():
                spans.setdefault(owner, [0] * (len(bounds) + 2))[index] = int(count)
        upto = {bound: index for index, bound in enumerate(bounds)}
        return {
            owner: [sum(counts), sum(counts[:-1]),
                    *(0 if moment is None else sum(counts[:upto[_naive_utc(moment)] + 1]) for moment in moments)]
            for owner, counts in spans.items()
        }

    @database_errors
    def open_leads_handed_count(self, up_to: datetime) -> int:
        """How many open MQLs were handed over at or before `up_to`: a count along the
        hand-over index's range, not a pass over every open MQL."""
        p = self.db.param
        hint = "" if is_postgres(self.db) else ' INDEXED BY "lead_handed"'
        sql = f'SELECT COUNT(*) FROM "lead"{hint} WHERE "stage" = {p} AND "handed_over_at" <= {p}'
        return int(self.db.execute_sql(sql, [Stage.MQL.value, _naive_utc(up_to)]).fetchone()[0])

    @database_errors
    def open_leads_handed(self, *, up_to: datetime, after: tuple[datetime, int] | None = None,
                          since: datetime | None = None, by_id: bool = False, limit: int = 1000) -> list[Lead]:
        """Open MQLs handed over at or before `up_to` (and at or after `since`), oldest
        hand-over first, paged by (handed_over_at, id) after `after`; with `by_id`, in id
        order instead."""
        where = (LeadRow.stage == Stage.MQL.value) & (LeadRow.handed_over_at <= _naive_utc(up_to))
        if since is not None:
            where &= LeadRow.handed_over_at >= _naive_utc(since)
        if after is not None:
            where &= Tuple(LeadRow.handed_over_at, LeadRow.id) > Tuple(_naive_utc(after[0]), after[1])
        order = (LeadRow.id,) if by_id else (LeadRow.handed_over_at, LeadRow.id)
        query = LeadRow.select().where(where).order_by(*order).limit(limit)
        return [_lead_from_row(row) for row in query.namedtuples()]

    def _rep_of_given(self) -> str:
        """The rep a give event names: the taker, or the start of an assign's or reassign's
        note up to its colon ("anna: 12 leads ...", "pool: back to the pool")."""
        find = 'strpos("note", \':\')' if is_postgres(self.db) else 'instr("note", \':\')'
        return (f'CASE WHEN "action" = \'take\' THEN "actor" WHEN {find} > 0 THEN substr("note", 1, {find} - 1) '
                f'ELSE "note" END')

    @database_errors
    def given_totals(self, since: datetime, until: datetime | None = None) -> dict[str, tuple[int, int]]:
        """Per rep, how many leads were assigned to or taken by them in the period and the
        sum of their scores: the latest such event per lead counts (as `given_leads`),
        added up in the database."""
        p = self.db.param
        period = f'"at" >= {p}' + (f' AND "at" < {p}' if until is not None else "")
        params = [_naive_utc(since)] + ([_naive_utc(until)] if until is not None else [])
        sql = (
            f'SELECT g."rep", COUNT(*), COALESCE(SUM(l."score"), 0) FROM ('
            f'SELECT e."lead_id" AS "lead_id", {self._rep_of_given()} AS "rep" FROM "audit_event" e '
            f'WHERE e."id" IN (SELECT MAX("id") FROM "audit_event" WHERE "action" IN (\'assign\', \'take\', '
            f'\'reassign\') AND {period} GROUP BY "lead_id")) g '
            f'JOIN "lead" l ON l."id" = g."lead_id" WHERE g."rep" <> \'pool\' GROUP BY g."rep"'
        )
        return {rep: (int(count), int(score)) for rep, count, score in self.db.execute_sql(sql, params).fetchall()}

    @database_errors
    def action_counts_since(self, since: datetime, actions: tuple[str, ...]) -> dict[tuple[str, str], int]:
        """How many audit events of each of `actions` each actor made since `since`."""
        query: Any = (
            AuditRow.select(AuditRow.actor, AuditRow.action, fn.COUNT(AuditRow.id))
            .where(AuditRow.action.in_(actions) & (AuditRow.at >= _naive_utc(since)))
            .group_by(AuditRow.actor, AuditRow.action)
            .tuples()
        )
        return {(actor, action): count for actor, action, count in query}

    @database_errors
    def handed_over_by_channel(self, since: datetime, until: datetime,
                               channels: list[str] | None = None) -> dict[str, int]:
        """Leads handed over in [since, until), counted per channel in the database; with
        `channels`, those channels only (the others' index entries are skipped, not grouped)."""
        # Every stage, named, so that the hand-over index (stage first) serves.
        where = (LeadRow.stage.in_([stage.value for stage in Stage])
                 & (LeadRow.handed_over_at >= _naive_utc(since)) & (LeadRow.handed_over_at < _naive_utc(until)))
        if channels is not None:
            where &= LeadRow.channel.in_(channels)
        query: Any = LeadRow.select(LeadRow.channel, fn.COUNT(LeadRow.id)).where(where).group_by(LeadRow.channel).tuples()
        return {channel: count for channel, count in query}

    @database_errors
    def pool_to_assign(self, after: tuple[str, int] | None = None,
                       limit: int = 5000) -> list[tuple[int, int, str, str, str]]:
        """The next MQLs of the unassigned pool in queue order after the (queue_key, id)
        `after`: (id, score, country, interest, queue_key), what the assignment engine needs
        and nothing more."""
        p = self.db.param
        page = f' AND ("queue_key", "id") > ({p}, {p})' if after is not None else ""
        sql = (f'SELECT "id", "score", "country", "interest", "queue_key" FROM "lead" WHERE "stage" = {p} '
               f'AND "owner" IS NULL{page} ORDER BY "queue_key", "id" LIMIT {int(limit)}')
        return [tuple(row) for row in self.db.execute_sql(sql, (Stage.MQL.value, *(after or ()))).fetchall()]

    @database_errors
    def returns_with_history(self, since: datetime | None = None,
                             until: datetime | None = None) -> list[tuple[Lead, AuditEvent, list[AuditEvent]]]:
        """Every return of the period that was not undone (as `return_events`), with its
        lead and the lead's whole history: three queries however many returns there are."""
        returns = self.return_events(since, until)
        if not returns:
            return []
        ids = sorted({lead_id for lead_id, _ in returns})
        leads: dict[int, Lead] = {}
        histories: dict[int, list[AuditEvent]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for lead_row in LeadRow.select().where(LeadRow.id.in_(chunk)).namedtuples():
                leads[lead_row.id] = _lead_from_row(lead_row)
            events: Any = (AuditRow.select().where(AuditRow.lead.in_(chunk))
                      .order_by(AuditRow.lead, AuditRow.at, AuditRow.id))
            for found in events:
                histories.setdefault(found.lead_id, []).append(_event(found))
        return [(leads[lead_id], event, histories.get(lead_id, [])) for lead_id, event in returns
                if lead_id in leads]

    def worked_leads(self, stages: tuple[Stage, ...], since: datetime | None = None,
                     until: datetime | None = None) -> Iterator[tuple[int, str, str, str | None, datetime]]:
        """Leads with an email that sales is working: in `stages`, or MQLs a rep owns, last
        changed in [since, until): (id, email, stage, owner, updated_at), in id order."""
        where = (LeadRow.email != "") & (LeadRow.stage.in_([stage.value for stage in stages])
                                         | ((LeadRow.stage == Stage.MQL.value) & LeadRow.owner.is_null(False)))
        if since is not None:
            where &= LeadRow.updated_at >= _naive_utc(since)
        if until is not None:
            where &= LeadRow.updated_at < _naive_utc(until)
        query: Any = (LeadRow.select(LeadRow.id, LeadRow.email, LeadRow.stage, LeadRow.owner, LeadRow.updated_at)
                 .where(where).order_by(LeadRow.id).tuples())
        try:
            for lead_id, email, stage, owner, at in query.iterator():
                yield lead_id, email, stage, owner, at.replace(tzinfo=timezone.utc)
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}") from exc

    def export_leads(self, since: datetime | None = None, until: datetime | None = None,
                     chunk: int = 5000) -> Iterator[dict[str, Any]]:
        """Every lead created in [since, until), in id order, as the values `Lead.model_dump`
        gives (enums as their text): read a page of `chunk` rows at a time by id, straight
        from the driver's tuples, so an export of a million leads neither waits for peewee
        and pydantic per row nor holds more than a page."""
        fields = [LeadRow._meta.fields[name] for name in ["id", *(n for n in LEAD_FIELDS if n != "id")]]
        json_cache: dict[str, Any] = {}

        def parsed(text: str | None) -> Any:
            if text is None:
                return None
            found = json_cache.get(text)
            if found is None:
                found = json.loads(text)
                if len(json_cache) < 10_000:
                    json_cache[text] = found
            return found

        def moment(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):  # SQLite keeps text; psycopg gives a datetime
                return datetime.fromisoformat(value + "+00:00")
            return value.replace(tzinfo=timezone.utc)

        converters: list[Callable[[Any], Any] | None] = []
        for field in fields:
            if isinstance(field, JsonField):
                converters.append(parsed)
            elif isinstance(field, peewee.DateTimeField):
                converters.append(moment)
            elif isinstance(field, peewee.BooleanField):
                converters.append(bool)
            else:
                converters.append(None)
        names = [field.name for field in fields]
        converted = [(field.name, convert) for field, convert in zip(fields, converters) if convert is not None]
        p = self.db.param
        where = "".join([' AND "created_at" >= ' + p if since is not None else "",
                         ' AND "created_at" < ' + p if until is not None else ""])
        period = [_naive_utc(moment) for moment in (since, until) if moment is not None]
        sql = (f'SELECT {", ".join(chr(34) + field.column_name + chr(34) for field in fields)} FROM "lead" '
               f'WHERE "id" > {p}{where} ORDER BY "id" LIMIT {int(chunk)}')
        after = 0
        try:
            while True:
                rows = self.db.execute_sql(sql, [after, *period]).fetchall()
                for row in rows:
                    lead = dict(zip(names, row))
                    for name, convert in converted:
                        lead[name] = convert(lead[name])
                    yield lead
                if len(rows) < chunk:
                    return
                after = rows[-1][0]
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}") from exc

    def _export_sql(self, form: str, formula_starts: tuple[str, ...], delimiter: str) -> tuple[str, list[int]]:
        """The SELECT of `export_lead_text` and the positions of the JSON columns in its rows,
        left as stored; the id last, for the next page."""
        postgres = is_postgres(self.db)
        fields = [LeadRow._meta.fields[name] for name in ["id", *(n for n in LEAD_FIELDS if n != "id")]]

        def literal(char: str) -> str:
            if char.isprintable():
                return "'" + char.replace("'", "''") + "'"
            return f"chr({ord(char)})" if postgres else f"char({ord(char)})"

        starts = ", ".join(literal(char) for char in formula_starts)
        formula_codes = ", ".join(str(ord(char)) for char in formula_starts)

        def moment(column: str) -> str:
            if postgres:
                return (f"to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {column}) "
                        f"= {column} THEN '' ELSE to_char({column}, '.US') END || '+00:00'")
            return f"replace({column}, ' ', 'T') || '+00:00'"

        def csv_cell(field: peewee.Field, column: str) -> str:
            if isinstance(field, peewee.BooleanField):
                return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
            if isinstance(field, peewee.DateTimeField):
                return moment(column)
            if isinstance(field, (peewee.IntegerField, JsonField)):
                return column
            if postgres:  # csv.writer quotes the cells
                return f"CASE WHEN left({column}, 1) IN ({starts}) THEN '''' ELSE '' END || {column}"
            # quoted as csv.writer quotes (QUOTE_MINIMAL): when it holds the delimiter, a quote or a line
            # break; instr() for each of them costs less than one GLOB for any of them
            special = " OR ".join(f"instr({column}, {literal(mark)})" for mark in dict.fromkeys([delimiter, '"', "\n", "\r"]))
            formula = f"unicode({column}) IN ({formula_codes})"
            return (f"CASE WHEN {special} THEN '\"' || CASE WHEN {formula} THEN '''' ELSE '' END || "
                    f"replace({column}, '\"', '\"\"') || '\"' WHEN {formula} THEN '''' || {column} ELSE {column} END")

        def json_value(field: peewee.Field, column: str) -> str:
            if isinstance(field, peewee.BooleanField):
                return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
            if isinstance(field, peewee.DateTimeField):
                return f"COALESCE('\"' || {moment(column)} || '\"', 'null')"
            if isinstance(field, peewee.IntegerField):
                return f"COALESCE(CAST({column} AS TEXT), 'null')"
            return f"COALESCE(to_json({column})::text, 'null')" if postgres else f"json_quote({column})"

        def joined(texts: list[tuple[str, str | None]]) -> str:
            """Literal texts and cells as one text: printf on SQLite (faster than ||)."""
            if postgres:
                return " || ".join(["''", *("'" + text.replace("'", "''") + "'" + (f" || COALESCE({cell}, '')"
                                                                                    if cell else "")
                                             for text, cell in texts)])
            pattern = "".join(text.replace("%", "%%").replace("'", "''") + ("%s" if cell else "") for text, cell in texts)
            return ", ".join([f"printf('{pattern}'", *(cell for _, cell in texts if cell)]) + ")"

        p = self.db.param
        page = f' FROM "lead" WHERE "id" > {p} AND "id" <= {p}' + "{where} ORDER BY \"id\" LIMIT {chunk}"
        if form == "csv" and postgres:  # cells, for csv.writer
            cells = [csv_cell(field, f'"{field.column_name}"') for field in fields]
            return (f'SELECT {", ".join(cells)}, "id"{page}',
                    [number for number, field in enumerate(fields) if isinstance(field, JsonField)])
        cells = []
        json_at: list[int] = []
        pending: list[tuple[str, str | None]] = []
        for number, field in enumerate(fields):
            column = f'"{field.column_name}"'
            if form == "csv":
                opening = delimiter if number else ""
            else:
                opening = ("{" if number == 0 else ", ") + json.dumps(field.name) + ": "
            if isinstance(field, JsonField):
                pending.append((opening, None))
                cells.append(joined(pending))
                pending = []
                json_at.append(len(cells))
                cells.append(column)
            elif form == "csv":
                pending.append((opening, csv_cell(field, column)))
            else:
                pending.append((opening, json_value(field, column)))
        pending.append(("" if form == "csv" else "}", None))
        cells.append(joined(pending))
        cells.append('"id"')
        return f'SELECT {", ".join(cells)}{page}', json_at

    def export_lead_text(self, form: str, formula_starts: tuple[str, ...],
                         layout: Callable[[Sequence[str]], list[str]], delimiter: str = ",",
                         since: datetime | None = None, until: datetime | None = None,
                         chunk: int = 5000, readers: int | None = None) -> Iterator[tuple[int, bytes | bytearray]]:
        """The leads of `export_leads` as the text of the file in UTF-8, formatted by the
        database a page at a time: (leads, text) per page. For `form` "csv" lines of cells
        split by `delimiter` and quoted as `csv.writer` quotes them, each ending in CR LF,
        text starting with one of `formula_starts` behind an apostrophe; for "json" the
        objects, joined by a comma and a line break. Moments in ISO 8601 in UTC, booleans as
        true/false, and the JSON columns as `layout` writes a page of stored JSON texts.

        A SQLite file is read by `readers` child processes (None: one per core, up to two)
        when it holds a few pages, each formatting every other window of ids."""
        sql, json_at = self._export_sql(form, formula_starts, delimiter)
        p = self.db.param
        where = "".join([' AND "created_at" >= ' + p if since is not None else "",
                         ' AND "created_at" < ' + p if until is not None else ""])
        sql = sql.replace("{where}", where).replace("{chunk}", str(int(chunk)))
        period = [_naive_utc(moment) for moment in (since, until) if moment is not None]
        postgres = is_postgres(self.db)
        shape = PageShape(form, json_at, layout, delimiter, postgres)
        path = None if postgres else self.db.database
        if readers is None:
            readers = min(2, os.cpu_count() or 1)

        def fetch(query: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
            return self.db.execute_sql(query, parameters).fetchall()

        try:
            first, last = self.db.execute_sql('SELECT min("id"), max("id") FROM "lead"').fetchone()
            if first is None:
                return
            if readers > 1 and path and path != ":memory:":
                leads = self.db.execute_sql('SELECT count(*) FROM "lead"').fetchone()[0]
                parts = windows(first, last, leads, chunk)
                if len(parts) >= FEWEST_PAGES_FOR_READERS:
                    yield from pages_from_readers(path, sql, period, parts, chunk, shape, readers, fetch)
                    return
            for count, text in range_pages(fetch, sql, period, first, last, chunk, shape):
                yield count, text.encode()
        except peewee.DatabaseError as exc:
            raise DatabaseError(f"the database failed: {failure_text(exc)}") from exc

    @database_errors
    def open_leads_by_owner(self) -> dict[str, int]:
        """Open MQLs assigned to each rep."""
        query: Any = (
            LeadRow.select(LeadRow.owner, fn.COUNT(LeadRow.id))
            .where((LeadRow.stage == Stage.MQL.value) & LeadRow.owner.is_null(False))
            .group_by(LeadRow.owner)
            .tuples()
        )
        return dict(query)

    @database_errors
    def given_leads(self, since: datetime, until: datetime | None = None) -> list[tuple[int, str, int]]:
        """(lead id, rep, score) for each lead assigned to or taken by a rep in the period,
        the latest such event per lead."""
        where = AuditRow.action.in_(("assign", "take", "reassign")) & (AuditRow.at >= _naive_utc(since))
        if until is not None:
            where &= AuditRow.at < _naive_utc(until)
        query: Any = (
            AuditRow.select(AuditRow.lead, AuditRow.actor, AuditRow.action, AuditRow.note, LeadRow.score)
            .join(LeadRow, on=(AuditRow.lead == LeadRow.id))
            .where(where)
            .order_by(AuditRow.id)
            .tuples()
        )
        latest: dict[int, tuple[str, int]] = {}
        for lead_id, actor, action, note, score in query:
            # "assign" and "reassign" notes start with the rep they gave the lead to, or
            # "pool:" when a lead went back to the pool.
            latest[lead_id] = (actor if action == "take" else note.partition(":")[0], score)
        return [(lead_id, rep, score) for lead_id, (rep, score) in latest.items() if rep != "pool"]

    @database_errors
    def pool_leads(self, limit: int | None = None) -> list[Lead]:
        """MQLs in the unassigned pool, in queue order."""
        query = (
            LeadRow.select()
            .where((LeadRow.stage == Stage.MQL.value) & LeadRow.owner.is_null())
            .order_by(LeadRow.queue_key, LeadRow.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_lead_from_row(row) for row in query.namedtuples()]

    @database_errors
    def handed_over_between(self, since: datetime, until: datetime) -> list[Lead]:
        query = LeadRow.select().where(
            (LeadRow.handed_over_at >= _naive_utc(since)) & (LeadRow.handed_over_at < _naive_utc(until))
        ).order_by(LeadRow.id)
        return [_lead_from_row(row) for row in query.namedtuples()]

    @database_errors
    def give_leads(self, given: list[tuple[int, str | None]], events: list[AuditEvent], *, from_pool: bool) -> list[int]:
        """Give each lead to its rep, with its audit event, in one transaction: from the
        pool only if still unassigned (`from_pool`), else whoever holds it. The ids given."""
        return self._give([(lead_id, login, self.sql.audit_values(lead_id, event))
                           for (lead_id, login), event in zip(given, events, strict=True)], from_pool=from_pool)

    @database_errors
    def give_from_pool(self, given: Sequence[tuple[int, str, str]], event: AuditEvent) -> list[int]:
        """`give_leads` from the pool of many leads logged alike: each (lead id, rep, note)
        gets `event` with its own lead and note. The rows of the audit are made from one
        event instead of one per lead (a million of them cost seconds). The ids given."""
        row = self.sql.audit_values(0, event)
        before, after = row[1:AUDIT_NOTE], row[AUDIT_NOTE + 1:]
        return self._give([(lead_id, login, (lead_id, *before, note, *after)) for lead_id, login, note in given],
                          from_pool=True)

    def _give(self, given: list[tuple[int, str | None, tuple]], *, from_pool: bool) -> list[int]:
        """Each (lead id, owner, audit row) given in one transaction (see `give_leads`).

        The leads that may still be given are read first (locked, on PostgreSQL), then all
        of them changed and logged by two executemany: a batch of thousands costs a few
        round trips, not two per lead."""
        p = self.db.param
        mql = Stage.MQL.value
        # By id alone on SQLite: given the stage, its planner would scan the pool's index.
        lock = f' AND "stage" = {p}' + (' AND "owner" IS NULL' if from_pool else "") + " FOR UPDATE"
        with write_transaction(self.db):
            ids = sorted({lead_id for lead_id, _, _ in given})
            open_ids: set[int] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                sql = f'SELECT "id", "stage", "owner" FROM "lead" WHERE "id" IN ({", ".join([p] * len(chunk))})'
                rows = (self.db.execute_sql(sql + lock, (*chunk, mql)) if is_postgres(self.db)
                        else self.db.execute_sql(sql, chunk))
                open_ids.update(lead_id for lead_id, stage, owner in rows.fetchall()
                                if stage == mql and (owner is None or not from_pool))
            picked = []
            for lead_id, login, audit in given:
                if lead_id in open_ids:
                    picked.append((lead_id, login, audit))
                    if from_pool:
                        open_ids.discard(lead_id)  # given once: from the pool no more
            if picked:
                cursor = self.db.cursor()
                cursor.executemany(  # in id order: the table's pages one after the other
                    self.sql.give,
                    sorted(((login, audit[AUDIT_AT], audit[AUDIT_ACTOR], lead_id) for lead_id, login, audit in picked),
                           key=itemgetter(3)))
                cursor.executemany(self.sql.audit, [audit for _, _, audit in picked])
        return [lead_id for lead_id, _, _ in picked]

    @database_errors
    def open_leads(self, *, owner: str | None = None, assigned: bool = False) -> list[Lead]:
        """MQLs: all of them, what the SLA clock runs on; or one rep's (`owner`), or only
        those assigned to a rep (`assigned`), without reading the pool."""
        where = LeadRow.stage == Stage.MQL.value
        if owner is not None:
            where &= LeadRow.owner == owner
        elif assigned:
            where &= LeadRow.owner.is_null(False)
        query = LeadRow.select().where(where).order_by(LeadRow.queue_key, LeadRow.id)
        return [_lead_from_row(row) for row in query.namedtuples()]

    @database_errors
    def actions_since(self, since: datetime, actions: tuple[str, ...]) -> list[tuple[int, str, str]]:
        """(lead id, actor, action) of the audit events of `actions` since `since`."""
        query: Any = (
            AuditRow.select(AuditRow.lead, AuditRow.actor, AuditRow.action)
            .where(AuditRow.action.in_(actions) & (AuditRow.at >= _naive_utc(since)))
            .order_by(AuditRow.id)
            .tuples()
        )
        return list(query)

    @database_errors
    def last_event(self, actor: str, actions: tuple[str, ...]) -> AuditEvent | None:
        """`actor`'s newest audit event of `actions`, on any lead."""
        row = (
            AuditRow.select()
            .where((AuditRow.actor == actor) & AuditRow.action.in_(actions))
            .order_by(AuditRow.id.desc())
            .first()
        )
        if row is None:
            return None
        return _event(row)

    @database_errors
    def return_events(self, since: datetime | None = None, until: datetime | None = None) -> list[tuple[int, AuditEvent]]:
        """(lead id, event) of every return in the period that was not undone, oldest first."""
        following, undo = AuditRow.alias(), AuditRow.alias()
        next_event = following.select(fn.MIN(following.id)).where(
            (following.lead == AuditRow.lead) & (following.id > AuditRow.id)
        )
        where = (AuditRow.action == "return") & ~fn.EXISTS(
            undo.select(undo.id).where((undo.id == next_event) & (undo.action == "undo"))
        )
        if since is not None:
            where &= AuditRow.at >= _naive_utc(since)
        if until is not None:
            where &= AuditRow.at < _naive_utc(until)
        query: Any = AuditRow.select().where(where).order_by(AuditRow.at, AuditRow.id)
        return [
            (row.lead_id, _event(row).model_copy(update={"prior": None}))
            for row in query
        ]

    @database_errors
    def count_leads(self, stage: Stage | None = None) -> int:
        query = LeadRow.select()
        if stage is not None:
            query = query.where(LeadRow.stage == stage.value)
        return query.count()

    @database_errors
    def team(self) -> list[TeamMember]:
        return [_member(row) for row in TeamRow.select().order_by(TeamRow.login)]

    @database_errors
    def membership(self, login: str) -> tuple[TeamMember | None, int]:
        """The member with `login` (None when not on the team) and the size of the team.
        On PostgreSQL the database's owner is a team lead without being listed."""
        # Asked before every decision: plain SQL, not a query built anew each time.
        [(size,)] = self.db.execute_sql('SELECT COUNT(*) FROM "team_member"').fetchall()
        row = TeamRow.get_or_none(TeamRow.login == login) if size else None
        if row is None and size and login == self.database_owner():
            return TeamMember(login=login, name=login, role=Role.LEAD), size
        return (None if row is None else _member(row)), size

    @database_errors
    def connected_user(self) -> str | None:
        """Who the database says this connection is: PostgreSQL's session user, which no
        client can claim to be otherwise; None on SQLite, which knows no users."""
        if not is_postgres(self.db):
            return None
        [(user,)] = self.db.execute_sql("SELECT session_user").fetchall()
        return user

    def database_owner(self) -> str | None:
        """The PostgreSQL database's owner, the first team lead; None on SQLite."""
        if not is_postgres(self.db):
            return None
        if self._owner is None:
            [(self._owner,)] = self.db.execute_sql(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").fetchall()
        return self._owner

    @database_errors
    def connection_encrypted(self) -> bool | None:
        """Whether this connection is encrypted (TLS); None on SQLite, which has no connection."""
        if not is_postgres(self.db):
            return None
        [(encrypted,)] = self.db.execute_sql(
            "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)").fetchall()
        return bool(encrypted)

    @database_errors
    def remove_team_member(self, login: str) -> bool:
        """Take `login` off the team; on PostgreSQL its login ends too. False when not on it."""
        with write_transaction(self.db):
            removed = TeamRow.delete().where(TeamRow.login == login).execute()
            if is_postgres(self.db):
                roles.end_login(self.db, login)
        return bool(removed)

    @database_errors
    def add_team_member(self, member: TeamMember, *, password: str | None = None, login: bool = False) -> None:
        """Add the member, or replace what is stored about the same login. With `login`, on
        PostgreSQL, the member's database login is made or changed in the same transaction:
        in the group of their role, with `password` when given (None keeps the one it has).
        Demo teams (`triage seed`) have no logins."""
        values = member.model_dump(mode="json")
        with write_transaction(self.db):
            TeamRow.insert(**values).on_conflict(
                conflict_target=[TeamRow.login],
                update={getattr(TeamRow, name): value for name, value in values.items() if name != "login"},
            ).execute()
            if login and is_postgres(self.db):
                roles.set_login(self.db, member.login, member.role, password)

    # --- the rules ------------------------------------------------------------------

    @staticmethod
    def _rules_version(row: Any) -> RulesVersion:
        return RulesVersion(number=row.id, version=row.version, stamp=row.stamp, text=row.text,
                            adopted_by=row.adopted_by, adopted_at=_at(row.adopted_at), note=row.note)

    @database_errors
    def rules_in_force(self) -> RulesVersion | None:
        """The newest adopted version; None while the team has adopted none."""
        row = RulesRow.select().order_by(RulesRow.id.desc()).first()
        return None if row is None else self._rules_version(row)

    @database_errors
    def rules_versions(self) -> list[RulesVersion]:
        return [self._rules_version(row) for row in RulesRow.select().order_by(RulesRow.id)]

    @database_errors
    def add_rules_version(self, *, version: str, stamp: str, text: str, adopted_by: str, at: datetime,
                          note: str = "") -> RulesVersion:
        with write_transaction(self.db):
            row = RulesRow.create(version=version, stamp=stamp, text=text, adopted_by=adopted_by,
                                  adopted_at=_naive_utc(at), note=note)
        return self._rules_version(row)

    # --- live hand-over: tokens, idempotent calls, signals, the outbox ----------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around several of the store's writes (they nest inside it)."""
        with write_transaction(self.db):
            yield

    @database_errors
    def lead_by_key(self, *, email: str = "", external_id: str = "") -> Lead | None:
        """The lead with this external id, else with this email (ignoring case). Plain SQL
        built once: marketing automation asks this for every signal."""
        if external_id:
            row = self.db.execute_sql(self.sql.by_external_id, (external_id,)).fetchone()
            if row is not None:
                return self.sql.lead(row)
        if email:
            row = self.db.execute_sql(self.sql.by_email, (email.lower(),)).fetchone()
            if row is not None:
                return self.sql.lead(row)
        return None

    @database_errors
    def mails_seen(self, lead_id: int) -> set[str]:
        """The nurture mails (their id or link) the lead opened or clicked so far."""
        param = self.db.param
        rows = self.db.execute_sql(
            f'SELECT "id", "url" FROM "activity_signal" WHERE "lead_id" = {param} '
            "AND \"kind\" IN ('email_opened', 'email_clicked')", (lead_id,)).fetchall()
        return {url or f"#{signal_id}" for signal_id, url in rows}

    @database_errors
    def add_signals(self, lead_id: int, signals: Iterable[tuple[str, str, datetime]], received_at: datetime) -> None:
        param = self.db.param
        received = _naive_utc(received_at)
        with write_transaction(self.db):
            self.db.cursor().executemany(
                f'INSERT INTO "activity_signal" ("lead_id", "kind", "url", "at", "received_at") '
                f"VALUES ({param}, {param}, {param}, {param}, {param})",
                [(lead_id, kind, url, _naive_utc(at), received) for kind, url, at in signals])

    @database_errors
    def add_token(self, name: str, token_hash: str, created_by: str, at: datetime) -> None:
        with write_transaction(self.db):
            if TokenRow.get_or_none(TokenRow.name == name) is not None:
                raise DatabaseError(f"a token called {name} exists already; revoke it first")
            TokenRow.create(name=name, token_hash=token_hash, created_by=created_by, created_at=_naive_utc(at))

    @database_errors
    def tokens(self) -> list[dict[str, Any]]:
        return [{"name": row.name, "created_by": row.created_by, "created_at": _aware(row.created_at),
                 "revoked_at": _aware(row.revoked_at)} for row in TokenRow.select().order_by(TokenRow.name)]

    @database_errors
    def revoke_token(self, name: str, at: datetime) -> bool:
        with write_transaction(self.db):
            return bool(TokenRow.update(revoked_at=_naive_utc(at))
                        .where((TokenRow.name == name) & TokenRow.revoked_at.is_null()).execute())

    @database_errors
    def token_named_by_hash(self, token_hash: str) -> str | None:
        row = TokenRow.get_or_none((TokenRow.token_hash == token_hash) & TokenRow.revoked_at.is_null())
        return None if row is None else row.name

    @database_errors
    def idempotent_answer(self, token: str, key: str) -> tuple[str, int, str] | None:
        """(request hash, status, body) of the call made before with this key, if any."""
        row = IdempotentCallRow.get_or_none((IdempotentCallRow.token == token) & (IdempotentCallRow.key == key))
        return None if row is None else (row.request_hash, row.status, row.body)

    @database_errors
    def keep_idempotent_answer(self, token: str, key: str, request_hash: str, status: int, body: str,
                               at: datetime) -> None:
        IdempotentCallRow.create(token=token, key=key, request_hash=request_hash, status=status, body=body,
                                 at=_naive_utc(at))

    @database_errors
    def outbox_to_fan_out(self, limit: int = 500) -> list[tuple[int, int, str, AuditEvent | None, Lead | None]]:
        """Decisions not yet made into deliveries: (outbox id, lead id, kind, event, lead)."""
        rows = list(OutboxRow.select().where(~OutboxRow.fanned_out).order_by(OutboxRow.id).limit(limit))
        events = {row.id: row for row in AuditRow.select().where(AuditRow.id.in_([r.event_id for r in rows]))} if rows else {}
        found = []
        for row in rows:
            audit = events.get(row.event_id)
            event = None if audit is None else _event(audit, row.lead_id).model_copy(update={"prior": None})
            found.append((row.id, row.lead_id, row.kind, event, self.get(row.lead_id)))
        return found

    @database_errors
    def fan_out(self, outbox_id: int, deliveries: list[tuple[str, str]], at: datetime) -> None:
        """The deliveries (url, body) of one outbox entry; it is then fanned out."""
        with write_transaction(self.db):
            for url, body in deliveries:
                DeliveryRow.insert(outbox_id=outbox_id, url=url, body=body,
                                   next_attempt_at=_naive_utc(at)).on_conflict_ignore().execute()
            OutboxRow.update(fanned_out=True).where(OutboxRow.id == outbox_id).execute()

    @database_errors
    def due_deliveries(self, at: datetime, limit: int = 100) -> list[dict[str, Any]]:
        query = (DeliveryRow.select().where((DeliveryRow.state == "pending") & (DeliveryRow.next_attempt_at <= _naive_utc(at)))
                 .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id).limit(limit))
        return [{"id": row.id, "url": row.url, "body": row.body, "attempts": row.attempts, "outbox_id": row.outbox_id}
                for row in query]

    @database_errors
    def record_attempt(self, delivery_id: int, *, delivered: bool, status: int | None, error: str,
                       at: datetime, next_attempt_at: datetime) -> None:
        with write_transaction(self.db):
            DeliveryRow.update(
                attempts=DeliveryRow.attempts + 1, last_status=status, last_error=error[:1000],
                state="delivered" if delivered else "pending", delivered_at=_naive_utc(at) if delivered else None,
                next_attempt_at=_naive_utc(next_attempt_at),
            ).where(DeliveryRow.id == delivery_id).execute()

    @database_errors
    def deliveries(self, limit: int = 50) -> list[dict[str, Any]]:
        query: Any = (DeliveryRow.select(DeliveryRow, OutboxRow.kind, OutboxRow.lead_id)
                 .join(OutboxRow, on=(OutboxRow.id == DeliveryRow.outbox_id))
                 .order_by(DeliveryRow.id.desc()).limit(limit).objects())
        return [{"id": row.id, "kind": row.kind, "lead_id": row.lead_id, "url": row.url,
                 "state": row.state, "attempts": row.attempts, "last_status": row.last_status,
                 "last_error": row.last_error, "next_attempt_at": _aware(row.next_attempt_at),
                 "delivered_at": _aware(row.delivered_at)} for row in query]
