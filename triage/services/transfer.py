"""Leads in and out: files of leads coming in (marketing's side), and the exports.

An import is all or nothing: its valid rows are stored in one transaction, so a process
killed halfway leaves the database as it was. Duplicates in the file or already in the
database are merged, not doubled: the same lead is the one with the same external id, else
the same email (ignoring case), else the same phone number, else the same name and company
(`importing.KnownLeads`). Blank fields are filled, activity counts take the higher figure,
and a merge that changes nothing stores nothing, so importing the same file again changes
nothing. Importing is marketing's move and a team lead's.
"""

from __future__ import annotations

import csv
import gc
from dataclasses import dataclass, field
from enum import Enum
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from triage.domain.language import N_, _
from triage.files.exporting import FORMULA_STARTS, Pages, json_texts
from triage.files.importing import RECORD_FIELDS, KnownLeads, RejectedRow, identity, read, row_identity
from triage.domain.models import AuditEvent, Channel, Credit, Interest, Lead, LeadData, utcnow
from triage.domain.scoring import Scorer, score_lead
from triage.domain.errors import RoleRefused, TriageError
from triage.domain.models import Role, Stage
from triage.services.context import Context
from triage.services.review import RETURNED_COLUMNS, ReviewBoard
from triage.services.team import AGE_BUCKETS, BALANCE_COLUMNS, Team

TEXT_FIELDS = ("salutation", "first_name", "last_name", "email", "phone", "job_title", "company", "country",
               "notes", "external_id")
COUNT_FIELDS = ("emails_opened", "emails_clicked", "pages_visited", "forms_filled")
INTEREST_ORDER = {Interest.INQUIRY: 0, Interest.QUOTE_REQUEST: 1, Interest.DEMO_REQUEST: 2}
BATCH = 5000
SUPPRESSION_COLUMNS = ["email", "lead_id", "stage", "owner", "since"]
#: The leads marketing nurtures, by track: `new` leads marketing has and never handed over
#: (an MQL waiting for sales' answer is sales' until answered, so in no segment: ownership
#: is always clear), and leads sales `returned` to nurture, with the last return's reason,
#: note, who and when, and the stage the lead had reached. Disqualified leads are not
#: nurtured, nor leads sales works.
SEGMENT_FIELDS = ("id", "email", "external_id", "salutation", "first_name", "last_name", "company", "job_title",
                  "country", "channel", "interest", "score", "recycle_count", "created_at")
SEGMENT_COLUMNS = ["segment", "lead_id", *SEGMENT_FIELDS[1:], "reached", "return_reason", "return_note",
                   "returned_by", "returned_at"]


@dataclass
class ImportSummary:
    imported: int = 0
    merged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    unknown_columns: list[str] = field(default_factory=list)
    unknown_channels: list[str] = field(default_factory=list)
    #: Columns known and left to triage (stage, owner, score, ...): not imported.
    ignored_columns: list[str] = field(default_factory=list)
    #: The leads this import created, in the file's order.
    new_lead_ids: list[int] = field(default_factory=list)
    assigned: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def line(self) -> str:
        return _("imported {imported}, merged {merged}, rejected {rejected}").format(
            imported=self.imported, merged=self.merged, rejected=self.rejected)


def merged_changes(old: LeadData, new: LeadData) -> dict[str, Any]:
    """What `new` adds to `old`: blanks filled, higher activity, the stronger interest."""
    changes: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if not getattr(old, name) and getattr(new, name):
            changes[name] = getattr(new, name)
    for name in COUNT_FIELDS:
        if getattr(new, name) > getattr(old, name):
            changes[name] = getattr(new, name)
    if new.existing_customer and not old.existing_customer:
        changes["existing_customer"] = True
    if old.creditworthiness is Credit.UNKNOWN and new.creditworthiness is not Credit.UNKNOWN:
        changes["creditworthiness"] = new.creditworthiness
    if old.channel is Channel.OTHER and new.channel is not Channel.OTHER:
        changes["channel"] = new.channel
    if INTEREST_ORDER[new.interest] > INTEREST_ORDER[old.interest]:
        changes["interest"] = new.interest
    extra = {key: value for key, value in new.extra.items() if key not in old.extra}
    if extra:
        changes["extra"] = {**old.extra, **extra}
    return changes


FIELDS_END = RECORD_FIELDS.index("created_at")


def _data(row: tuple) -> LeadData:
    return LeadData.model_validate(dict(zip(RECORD_FIELDS[:FIELDS_END], row[:FIELDS_END], strict=True)))


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class Transfer:
    """Imports (marketing's and the team lead's) and exports (team lead, review board,
    marketing for leads and the suppression list)."""

    def __init__(self, context: Context, team: Team, review: ReviewBoard) -> None:
        self.context = context
        self.team = team
        self.review = review

    def import_file(
        self,
        path: Path,
        *,
        encoding: str | None = None,
        mapping: dict[str, str] | None = None,
        progress: Callable[[float], None] | None = None,
        separate_process: bool | None = None,
    ) -> ImportSummary:
        """Import a CSV, JSON or XLSX file of leads as MQLs in the pool; see the module.

        `separate_process`: read, check and score the file in reader processes while this
        one stores; by default for a big CSV file (`importing.READER_PROCESS_BYTES`)."""
        self.check_may_import()
        collecting = gc.isenabled()
        gc.disable()  # a million rows of plain values and no cycles: the collector only slows it down
        try:
            return self._import(path, encoding, mapping, progress, separate_process)
        finally:
            if collecting:
                gc.enable()

    def check_may_import(self) -> None:
        """Importing is marketing's move (and a team lead's); the review board reads and
        exports, reps decide. Asked before the file is opened."""
        self.context.may_market(N_("import leads"))

    def _import(self, path: Path, encoding: str | None, mapping: dict[str, str] | None,
                progress: Callable[[float], None] | None, separate_process: bool | None) -> ImportSummary:
        now = utcnow()
        reading = read(path, rules=self.context.rules, now=now, encoding=encoding, mapping=mapping,
                       separate_process=separate_process)
        summary = ImportSummary(unknown_columns=reading.unknown_columns, ignored_columns=reading.ignored_columns)
        rejects: list[RejectedRow] = []
        unknown_channels: set[str] = set()
        known: KnownLeads = self.context.store.import_keys()
        scorer = Scorer.of(self.context.rules)
        updated_by = f"import {path.name}"[:255]
        pending: list[tuple] = []
        pending_keys: list[tuple] = []
        in_file = KnownLeads()  # rows of this file not stored yet, by their place in `pending`

        def flush(session) -> None:
            ids = session.add_fresh(pending, rules_version=scorer.stamp, now=now, updated_by=updated_by)
            for lead_id, keys in zip(ids, pending_keys, strict=True):  # a key a stored lead has already stays with it
                known.add(lead_id, keys)
            summary.new_lead_ids.extend(ids)
            summary.imported += len(pending)
            pending.clear()
            pending_keys.clear()
            in_file.clear()

        with self.context.store.import_session() as session:
            for batch in reading.batches:
                rejects.extend(batch.rejects)
                unknown_channels |= batch.unknown_channels
                for row, line, keys in zip(batch.rows, batch.lines, batch.identities, strict=True):
                    if in_file.wants_all(keys) or known.wants_all(keys):
                        keys = row_identity(row)
                    # the same external id or email in this file or stored, before a phone or a name
                    slot = in_file.find_strong(keys)
                    lead_id = None if slot is not None else known.find_strong(keys)
                    if slot is None and lead_id is None:
                        slot = in_file.find_weak(keys)
                        lead_id = None if slot is not None else known.find_weak(keys)
                    if slot is not None:
                        pending[slot] = self._merge_pending(pending[slot], row, scorer)
                        pending_keys[slot] = row_identity(pending[slot])
                        in_file.add(slot, pending_keys[slot])
                    elif lead_id is not None:
                        merged = self._merge_stored(session, lead_id, row, f"merged from {path.name}, line {line}", now)
                        if merged is not None:  # it may have a key more now (an email it lacked)
                            known.add(lead_id, identity(merged.external_id, merged.email, merged.phone,
                                                        merged.first_name, merged.last_name, merged.company,
                                                        merged.country))
                    else:
                        in_file.add(len(pending), keys)
                        pending.append(row)
                        pending_keys.append(keys)
                        continue
                    summary.merged += 1
                if len(pending) >= BATCH:
                    flush(session)
                if progress is not None:
                    progress(batch.progress)
            if progress is not None:  # inside the transaction: a callback that raises stops the import whole
                progress(1.0)
            flush(session)
        summary.rejected = len(rejects)
        summary.unknown_channels = sorted(unknown_channels)
        if rejects:
            rejects.sort(key=lambda reject: reject.line)
            summary.rejects_path = write_rejects(path, reading.headers, rejects, reading.delimiter)
        return summary

    @staticmethod
    def _merge_pending(earlier: tuple, row: tuple, scorer: Scorer) -> tuple:
        """A row for a lead earlier in this file: that lead with what the row adds."""
        changes = merged_changes(_data(earlier), _data(row))
        if not changes:
            return earlier
        record = dict(zip(RECORD_FIELDS, earlier[:len(RECORD_FIELDS)], strict=True)) | changes
        score, parts = scorer.score(record)
        return (*(_plain(record[name]) for name in RECORD_FIELDS), score, parts)

    def _merge_stored(self, session: Any, lead_id: int, row: tuple, note: str, now: datetime) -> Lead | None:
        """A row for a stored lead: what it adds is stored, audited; nothing new, nothing
        stored. The lead as it is now when it changed."""
        stored = session.get(lead_id)
        if stored is None:
            return None
        changes = merged_changes(stored, _data(row))
        if not changes:
            return None
        event = AuditEvent(lead_id=stored.id, actor=self.context.signature, at=now, action="import",
                           note=f"{note}: {', '.join(sorted(changes))}")
        return session.change(stored, {**changes, **self._score_fields(stored.model_copy(update=changes))}, event)

    def _score_fields(self, lead: Lead) -> dict[str, Any]:
        scored = score_lead(lead, self.context.rules)
        return {"score": scored.score, "score_breakdown": scored.parts, "rules_version": scored.rules_version}

    def export_lead_pages(self, form: str, since: datetime | None = None, until: datetime | None = None,
                          delimiter: str = ",") -> tuple[list[str], Pages]:
        """The leads export written by the database, page by page, for `write_csv_text`
        ("csv", cells split by `delimiter`) or `write_json_text` ("json"): the same files as
        `export_rows("leads")` written by `write_csv` and `write_json`, at a million leads in seconds."""
        columns, _ = self.export_rows("leads", since, until)  # who may: as for every export
        return columns, self.context.store.export_lead_text(form, FORMULA_STARTS, json_texts, delimiter, since, until)

    def export_rows(self, kind: str, since: datetime | None = None,
                    until: datetime | None = None) -> tuple[list[str], Iterator[dict[str, Any]]]:
        """Columns and rows of an export (team lead or review board)."""
        role = self.context.role()
        if role is Role.REP:
            raise RoleRefused(_("exports are for team leads and the review board (and marketing: leads and the "
                                "suppression list); {actor} is {role}").format(actor=self.context.actor, role=Role.REP.label))
        if role is Role.MARKETING and kind not in ("suppression", "leads", "segments"):
            raise RoleRefused(_("marketing exports leads, segments and the suppression list; the {kind} export is "
                                "for team leads and the review board").format(kind=kind))
        if kind == "segments":
            return SEGMENT_COLUMNS, self.segment_rows(since, until)
        if kind == "returned":
            return RETURNED_COLUMNS, self.review.returned_rows(since, until)
        if kind == "leads":  # the values as they are: each format writes them its way
            columns = ["id", *(name for name in Lead.model_fields if name != "id")]
            return columns, self.context.store.export_leads(since, until)
        if kind == "suppression":
            working = (Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
            return SUPPRESSION_COLUMNS, (
                {"email": email, "lead_id": lead_id, "stage": stage, "owner": owner or "", "since": at.isoformat()}
                for lead_id, email, stage, owner, at in self.context.store.worked_leads(working, since, until)
            )
        if kind == "balance":
            balance = self.team.balance()
            return BALANCE_COLUMNS, (
                {"rep": row.member.login, "name": row.member.name, "role": row.member.role.value,
                 "capacity": row.member.capacity, "cap": row.member.cap, "open": row.open_leads,
                 **{f"open {label}": row.ages[label] for _, label in AGE_BUCKETS},
                 "breached": row.breached, "soon_due": row.soon_due, "accepted_this_week": row.accepted_this_week,
                 "returned_this_week": row.returned_this_week, "leads_30_days": row.window_count,
                 "points_30_days": row.window_score, "away_now": row.away_now}
                for row in balance.reps
            )
        raise TriageError(_("no export called {kind}; choose returned, leads, segments, suppression or balance").format(
            kind=repr(kind)))

    def segment_rows(self, since: datetime | None = None, until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """The nurture segments (see SEGMENT_COLUMNS), for marketing and team leads; a new
        lead within the period by when it was created, a returned one by its return."""
        role = self.context.role()
        if role is not None and role not in (Role.MARKETING, Role.LEAD):
            raise RoleRefused(_("the nurture segments are for marketing and team leads; {actor} is {role}").format(
                actor=self.context.actor, role=role.label))
        return self._segment_rows(since, until)

    @staticmethod
    def _within(moment: datetime | None, since: datetime | None, until: datetime | None) -> bool:
        return moment is None or ((since is None or moment >= since) and (until is None or moment < until))

    def _segment_rows(self, since: datetime | None, until: datetime | None) -> Iterator[dict[str, Any]]:
        for values in self.context.store.nurture_segments(("stage", *SEGMENT_FIELDS)):
            returned = values.pop("stage") == Stage.RETURNED.value
            if not self._within(values["returned_at"] if returned else values["created_at"], since, until):
                continue
            yield {"segment": "returned" if returned else "new", "lead_id": values.pop("id"), **values,
                   "reached": values["reached"] or "", "return_reason": values["return_reason"] or "",
                   "return_note": values["return_note"] or "", "returned_by": values["returned_by"] or ""}


def write_rejects(path: Path, headers: list[str], rejects: list[RejectedRow], delimiter: str) -> Path:
    """The rejected rows as they came, plus `line` and `error`, beside the file:
    PATH.rejects.csv, UTF-8 with a byte-order mark so that Excel reads umlauts."""
    target = path.with_name(path.name + ".rejects.csv")
    columns = list(headers)
    for reject in rejects:
        columns.extend(key for key in reject.raw if key not in columns)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([*columns, "line", "error"])
        for reject in rejects:
            writer.writerow([*("" if reject.raw.get(column) is None else reject.raw.get(column, "")
                               for column in columns), reject.line, reject.error])
    return target
