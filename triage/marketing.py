"""Marketing's side: files of leads coming in. `LeadService` inherits this.

An import is all or nothing: its valid rows are stored in one transaction, so a process
killed halfway leaves the database as it was. Duplicates (the same email, ignoring case,
or the same external id) in the file or already in the database are merged, not doubled:
blank fields are filled, activity counts take the higher figure, and a merge that
changes nothing stores nothing, so importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .importing import Conversion, RejectedRow, UnreadableFile, column_map, open_source
from .models import AuditEvent, Channel, Interest, Lead, LeadData, utcnow
from .scoring import FastScorer, score_lead

if TYPE_CHECKING:
    from .rules import Rules

TEXT_FIELDS = ("salutation", "first_name", "last_name", "email", "phone", "job_title", "company", "country",
               "notes", "external_id")
COUNT_FIELDS = ("emails_opened", "emails_clicked", "pages_visited", "forms_filled")
INTEREST_ORDER = {Interest.INQUIRY: 0, Interest.QUOTE_REQUEST: 1, Interest.DEMO_REQUEST: 2}
BATCH = 5000


@dataclass
class ImportSummary:
    imported: int = 0
    merged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    unknown_columns: list[str] = field(default_factory=list)
    unknown_channels: list[str] = field(default_factory=list)
    assigned: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def line(self) -> str:
        return f"imported {self.imported}, merged {self.merged}, rejected {self.rejected}"


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
    if old.channel is Channel.OTHER and new.channel is not Channel.OTHER:
        changes["channel"] = new.channel
    if INTEREST_ORDER[new.interest] > INTEREST_ORDER[old.interest]:
        changes["interest"] = new.interest
    extra = {key: value for key, value in new.extra.items() if key not in old.extra}
    if extra:
        changes["extra"] = {**old.extra, **extra}
    return changes


def _keys(data: LeadData) -> list[str]:
    keys = []
    if data.email:
        keys.append("e:" + data.email.casefold())
    if data.external_id:
        keys.append("x:" + data.external_id)
    return keys


class MarketingWork:
    store: Any
    actor: str
    rules: Rules

    def import_file(
        self,
        path: Path,
        *,
        encoding: str | None = None,
        mapping: dict[str, str] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> ImportSummary:
        """Import a CSV, JSON or XLSX file of leads as MQLs in the pool; see the module."""
        source = open_source(path, encoding)
        fields, unknown = column_map(source.headers, mapping or {})
        if not any(target in fields.values() for target in ("email", "last_name", "company", "external_id")):
            raise UnreadableFile(
                f"{path}: no column for email, last name, company or external id "
                f"(columns: {', '.join(source.headers[:12])}); name them, or map them with --map"
            )
        conversion = Conversion(fields, unknown)
        summary = ImportSummary(unknown_columns=unknown)
        rejects: list[RejectedRow] = []
        now = utcnow()
        actor = self.actor
        known: dict[str, int] = self.store.import_keys()
        scorer = FastScorer(self.rules)
        updated_by = f"import {path.name}"[:255]
        pending: list[tuple[LeadData, datetime]] = []
        pending_index: dict[str, int] = {}
        rows_seen = 0

        def flush(session) -> None:
            scored = []
            for data, created in pending:
                score, parts = scorer.score(data)
                scored.append((data, created, score, parts))
            known.update(session.add_fresh(scored, rules_version=scorer.stamp, now=now, updated_by=updated_by))
            pending.clear()
            pending_index.clear()

        with self.store.import_session() as session:
            for line, raw in source.rows:
                rows_seen += 1
                if progress is not None and rows_seen % 2000 == 0:
                    progress(source.progress())
                result = conversion.row(line, raw)
                if isinstance(result, RejectedRow):
                    rejects.append(result)
                    continue
                data = result.data
                keys = _keys(data)
                slot = next((pending_index[key] for key in keys if key in pending_index), None)
                if slot is not None:
                    earlier, created = pending[slot]
                    changes = merged_changes(earlier, data)
                    if changes:
                        pending[slot] = (earlier.model_copy(update=changes), created)
                    for key in keys:
                        pending_index.setdefault(key, slot)
                    summary.merged += 1
                    continue
                lead_id = next((known[key] for key in keys if key in known), None)
                if lead_id is not None:
                    stored = session.get(lead_id)
                    if stored is not None:
                        changes = merged_changes(stored, data)
                        if changes:
                            event = AuditEvent(lead_id=stored.id, actor=actor, at=now, action="import",
                                               note=f"merged from {path.name}, line {line}: {', '.join(sorted(changes))}")
                            session.change(stored, {**changes, **self._score_fields(stored.model_copy(update=changes))},
                                           event)
                        summary.merged += 1
                        continue
                pending.append((data, min(result.created_at or now, now)))
                for key in keys:
                    pending_index[key] = len(pending) - 1
                summary.imported += 1
                if len(pending) >= BATCH:
                    flush(session)
            flush(session)
        if progress is not None:
            progress(1.0)
        summary.rejected = len(rejects)
        summary.unknown_channels = sorted(conversion.unknown_channels)
        if rejects:
            summary.rejects_path = write_rejects(path, source.headers, rejects, source.delimiter)
        return summary

    def _score_fields(self, lead: Lead) -> dict[str, Any]:
        scored = score_lead(lead, self.rules)
        return {"score": scored.score, "score_breakdown": scored.parts, "rules_version": scored.rules_version}



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
