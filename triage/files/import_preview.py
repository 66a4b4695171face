"""What an import will do, before it does it: for the head of a file, which column fills
which field, which columns are kept unmapped (in the lead's `extra`) or left out, and the
first rows as they will be stored, converted and validated by the import's own conversion
(`importing.Conversion`), each rejected row with its reason.

The mapping a preview was made with is the one to import with
(`LeadService.import_file(path, mapping=preview.mapping)`): the columns are found by the
same `importing.column_map`, so what the preview shows is what the import does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.files import importing
from triage.domain.scoring import Scorer

if TYPE_CHECKING:
    from triage.domain.rules import Rules

#: How many rows a preview converts.
PREVIEW_ROWS = 20
#: A mapping's target for a column to keep unmapped, in the lead's `extra`, even when its
#: name would give it a field.
KEEP = importing.KEEP
#: The fields one of which a file must have a column for (else the import refuses it).
WHO_FIELDS = ("email", "last_name", "company", "external_id")


@dataclass(frozen=True)
class PreviewRow:
    """One row of the file as the import would store it, or why it would reject it."""

    line: int
    #: Field name to the value as stored, as text; empty for a rejected row.
    values: dict[str, str]
    error: str = ""
    score: int | None = None


@dataclass
class Preview:
    path: Path
    headers: list[str]
    #: The mapping the preview was made with: give it to the import.
    mapping: dict[str, str]
    #: Column to field, as the import will fill them.
    fields: dict[str, str]
    #: Columns kept with each lead, unmapped (in `extra`).
    unmapped: list[str]
    #: Columns known and deliberately not imported (a HubSpot owner, say).
    left_out: list[str]
    rows: list[PreviewRow] = field(default_factory=list)
    #: True when the file has more rows than the preview shows.
    more: bool = False
    kind: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    #: Why the import would refuse the whole file, or "".
    problem: str = ""

    def choice(self, column: str) -> str:
        """What the column is for: a field's name, KEEP, or "" for left out."""
        if column in self.fields:
            return self.fields[column]
        return KEEP if column in self.unmapped else ""

    @property
    def shown_fields(self) -> list[str]:
        """The fields a row shows, in the order of the file's columns, then `extra`."""
        shown = [self.fields[column] for column in self.headers if column in self.fields]
        if any(row.values.get("extra") for row in self.rows):
            shown.append("extra")
        return shown

    @property
    def rejected(self) -> int:
        return sum(1 for row in self.rows if row.error)

    def with_choice(self, column: str, target: str) -> dict[str, str]:
        """The mapping with `column` given to `target` (a field or KEEP); a column that had
        that field so far is kept unmapped instead, so each field has one column. Columns
        nobody chose for stay out of the mapping: the import finds them by their names."""
        mapping = dict(self.mapping)
        if target != KEEP:
            for other, filled in self.fields.items():
                if filled == target and other != column:
                    mapping[other] = KEEP
        mapping[column] = target
        return mapping


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def preview(path: Path, *, mapping: dict[str, str] | None = None, encoding: str | None = None,
            rows: int = PREVIEW_ROWS, rules: Rules | None = None, now: datetime | None = None) -> Preview:
    """The head of `path` as `import_file(path, mapping=mapping)` would take it.

    Raises `importing.UnreadableFile` (a TriageError) when the file cannot be read at all:
    missing, empty, binary, no header."""
    mapping = dict(mapping or {})
    source = importing.open_source(path, encoding)
    try:
        fields, unmapped = importing.column_map(source.headers, mapping)
        left_out = [column for column in source.headers if column not in fields and column not in unmapped]
        result = Preview(path=path, headers=list(source.headers), mapping=mapping, fields=fields,
                         unmapped=list(unmapped), left_out=left_out, kind=source.kind, encoding=source.encoding,
                         delimiter=source.delimiter)
        if not any(target in fields.values() for target in WHO_FIELDS):
            result.problem = ("no column for email, last name, company or external id: the import refuses the "
                              "file; give one of them a column")
        head = list(islice(source.rows, rows + 1))
    finally:
        source.close()
    result.more = len(head) > rows
    head = head[:rows]
    conversion = importing.Conversion(source.headers, fields, unmapped, source.delimiter)
    valid, lines, rejects = conversion.batch(head)
    scorer = Scorer.of(rules)
    today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    names = importing.RECORD_FIELDS
    shown: list[PreviewRow] = []
    for line, row in zip(lines, valid, strict=True):
        record = dict(zip(names, row, strict=False))
        values = {name: _text(record.get(name)) for name in (*fields.values(), "extra") if name in record}
        created = record.get("created_at")
        if "created_at" in values and (created is None or _utc(created) > today):
            values["created_at"] = f"{today:%Y-%m-%d} (import day)"
        score, _ = scorer.score({name: _plain(value) for name, value in record.items()})
        shown.append(PreviewRow(line, values, score=score))
    shown.extend(PreviewRow(reject.line, {}, reject.error) for reject in rejects)
    result.rows = sorted(shown, key=lambda row: row.line)
    return result


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
