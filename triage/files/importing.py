"""Reading marketing's files: CSV as people really have it, JSON, and XLSX.

This module turns a file into validated leads and rejected rows; storing them is the
service's and the store's business. Nothing is dropped silently: a row that does not
validate is kept, unchanged, with the reason; a column or channel value we do not know is
kept with the lead (in `extra`) and reported.

Marketing's own words, in English, German and Dutch, are the tables of `triage.domain.words`. Text
comes in UTF-8, UTF-16 or UTF-32 (with a byte-order mark or without) or Windows-1252. A
triage export reads back field for field: the apostrophe its CSV puts before a formula start
is taken back. `KnownLeads` says which rows are the same lead.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import itertools
import json
import os
import queue
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator, get_type_hints

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from triage.domain import words
from triage.domain import language
from triage.domain.dates import DAY_FORMATS, parse_day, parse_decimal
from triage.domain.language import _
from triage.domain.errors import TriageError
from triage.files.exporting import FORMULA_STARTS
from triage.files.processes import end_with, start_context, stderr_for_children
from triage.domain.models import Channel, Credit, Interest, LeadData
from triage.domain.models import shown as _shown
from triage.domain.scoring import Scorer

if TYPE_CHECKING:
    from triage.domain.rules import Rules

#: A text field longer than this is refused: no lead has a 10,000-character name.
MAX_FIELD = 10_000
#: The csv module refuses longer fields outright; the row is then rejected by MAX_FIELD.
csv.field_size_limit(64 * 1024 * 1024)

CANONICAL = (
    "external_id", "salutation", "first_name", "last_name", "email", "phone", "company", "job_title",
    "country", "channel", "interest", "existing_customer", "creditworthiness", "notes", "created_at",
    "emails_opened", "emails_clicked", "pages_visited", "forms_filled",
)


class UnreadableFile(TriageError):
    """The file cannot be read as leads at all (exit 2)."""


_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_SEPARATORS = re.compile(r"[\s_\-/.:()*#'\"]+")


def normalise(header: str) -> str:
    """A column name or value as the tables in `triage.domain.words` hold it: lower case, umlauts
    as ae, oe, ue, no accents, and spaces, `-`, `_`, `/`, `.` as one space."""
    text = header.strip().lstrip("\ufeff").lower().translate(_FOLD)
    if not text.isascii():
        text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", text).strip()


def _table(words: dict[Any, dict[str, tuple[str, ...]]]) -> dict[str, Any]:
    """A table of `triage.domain.words` as normalised word -> what it means."""
    return {normalise(word): meaning for meaning, languages in words.items()
            for names in languages.values() for word in names}


#: Column names in English, German and Dutch, HubSpot's among them, to the field they fill;
#: None for a column known and deliberately not imported.
ALIASES: dict[str, str | None] = {
    **{normalise(word): None for names in words.NOT_IMPORTED.values() for word in names},
    **_table(words.COLUMNS),
}
#: The headings triage's own XLSX export writes in German and Dutch ("Vorname", "Externe ID"):
#: read as the field's own name, before any other name of a field.
OWN_HEADINGS = {normalise(heading): column for column, headings in words.export_headings().items()
                if column in (*CANONICAL, "extra") for heading in headings}
#: The columns triage keeps its own, under their German and Dutch headings, are not imported
#: (the lead's id stays "ID", see `OWN_COLUMNS`).
ALIASES.update({key: None for column, headings in words.export_headings().items()
                if column not in (*CANONICAL, "extra", "id") for key in map(normalise, headings)
                if key not in ALIASES})
CHANNEL_WORDS: dict[str, Channel] = {
    **_table(words.CHANNELS), **{normalise(channel.value): channel for channel in Channel}}
INTEREST_WORDS: dict[str, Interest] = {
    **_table(words.INTERESTS), **{normalise(interest.value): interest for interest in Interest}}
CREDIT_WORDS: dict[str, Credit] = _table(words.CREDIT)
COUNTRY_NAMES = {normalise(name): code for code, names in words.COUNTRIES.items() for name in names}
TRUE_WORDS = {normalise(word) for names in words.YES.values() for word in names}
FALSE_WORDS = {normalise(word) for names in words.NO.values() for word in names}
#: Columns of triage's own export that an import leaves to triage (the lead's id there, when
#: the file has an external_id column too).
OWN_COLUMNS = {"id"}
FULL_NAMES = {normalise(word) for names in words.FULL_NAME.values() for word in names}
NAME_INFIXES = {normalise(word) for word in words.NAME_INFIX}


#: A mapping's target for a column to keep unmapped, with the lead in `extra`.
KEEP = "unknown"


def column_map(headers: list[str], mapping: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Which field each column fills, and the columns we do not know (kept in `extra`).

    A column given by `mapping` or named exactly as a field comes first; then the other
    names of `triage.domain.words`, for the fields still free. A second column for a field already
    filled is kept in `extra`, not dropped. A column `extra` (triage's own export) holds
    more such columns. Columns known and deliberately not imported are in neither."""
    wanted = {normalise(column): target for column, target in mapping.items()}
    canonical = {**OWN_HEADINGS, **{normalise(name): name for name in (*CANONICAL, "extra")}}
    keys = [normalise(header) for header in headers]
    fields: dict[str, str] = {}
    taken: set[str] = set()
    for header, key in zip(headers, keys, strict=True):
        target = wanted.get(key) or canonical.get(key)
        if target is not None and target != KEEP and target not in taken:
            fields[header] = target
            taken.add(target)
    unknown: list[str] = []
    for header, key in zip(headers, keys, strict=True):
        if header in fields:
            continue
        if wanted.get(key) == KEEP:  # the user chose to keep it as it is, in `extra`
            unknown.append(header)
            continue
        target = "last_name" if key in FULL_NAMES else ALIASES.get(key, "unknown")
        if target is None or (key in OWN_COLUMNS and target in taken):
            continue
        if target == "unknown" or target in taken:
            unknown.append(header)
        else:
            fields[header] = target
            taken.add(target)
    return fields, unknown


def parse_mapping(items: list[str]) -> dict[str, str]:
    """`--map "Spalte=field"` options."""
    mapping = {}
    for item in items:
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or target.strip() not in CANONICAL:
            raise TriageError(
                _("--map {item}: use COLUMN=FIELD, FIELD one of {fields}").format(
                    item=repr(item), fields=", ".join(CANONICAL))
            )
        mapping[column.strip()] = target.strip()
    return mapping


def _stem(key: str, stems: tuple[tuple[str, Any], ...]) -> Any:
    """What a longer value says by a word in it ("messe hannover 2026": the event)."""
    parts = key.split()
    for stem, meaning in stems:
        if any(part.startswith(stem) or (len(stem) > 4 and stem in part) for part in parts):
            return meaning
    return None


def _channel(value: str) -> tuple[Channel, bool]:
    """The channel a file's value names, and whether it names one (else `other`, and the
    value is kept with the lead)."""
    key = normalise(value)
    found = CHANNEL_WORDS.get(key) or _stem(key, words.CHANNEL_STEMS)
    if found is not None:
        return found, True
    return Channel.OTHER, key == ""


def _country(value: str) -> str:
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    code = COUNTRY_NAMES.get(normalise(text))
    if code is None and text:
        raise ValueError(_("{value} is not a country we know (a two-letter code such as DE always works)").format(
            value=repr(text)))
    return code or ""


def _count(value: str) -> int:
    text = value.strip()
    if not text:
        return 0
    try:
        number = parse_decimal(text)
    except ValueError:
        raise ValueError(_("{value} is not a number").format(value=repr(text))) from None
    if number < 0 or number != int(number):
        raise ValueError(_("{value} is not a whole number of zero or more").format(value=repr(text)))
    return int(number)


def _flag(value: str) -> bool:
    text = normalise(value)
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(_("{value} is neither yes nor no").format(value=repr(value)))


def _credit(value: str) -> Credit:
    found = CREDIT_WORDS.get(normalise(value))
    if found is None:
        raise ValueError(_("{value} is not a creditworthiness (A, B, C, D or unknown)").format(value=_shown(value)))
    return found


#: A day as `triage.domain.dates.parse_day` reads it, then a time of day: `24.11.2026 09:30`,
#: `24-11-26, 9:30 Uhr`, `2026-11-24T09:30:00`.
_DAY_AND_TIME = re.compile(
    r"(?P<day>[\d.\-]+?)(?:(?:\s*,\s*|\s+|T)(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
    r"(?:[:.](?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?\s*(?:uhr|h)?)?", re.IGNORECASE)


def _moment(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        found = _DAY_AND_TIME.fullmatch(text)
        try:
            if found is None:
                raise ValueError(text)
            day = parse_day(found["day"])
            fraction = (found["fraction"] or "").ljust(6, "0")
            moment = datetime(day.year, day.month, day.day, int(found["hour"] or 0), int(found["minute"] or 0),
                              int(found["second"] or 0), int(fraction))
        except ValueError:
            raise ValueError(_("{value} is not a date ({formats}, optionally with HH:MM)").format(
                value=repr(text), formats=_(DAY_FORMATS))) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


# --- who a row is ------------------------------------------------------------------------

#: A lead's identity keys, strongest first, each "" when it has none: "x:" + external id,
#: "e:" + email (case ignored), "p:" + phone number (digits, from the country code on),
#: "n:" + name and company (case and spaces ignored); then its name and its company
#: (compared, not keys).
Identity = tuple[str, str, str, str, str, str]
#: What a row is known by so far: its whole `Identity`, or only (external id, email).
Keys = Identity | tuple[str, str]
_NOT_DIGIT = re.compile(r"\D+")
_CALLING = set(words.CALLING_CODES.values())


def phone_key(phone: str, country: str = "") -> str:
    """A phone number's digits from the country code on: `+49 (0)30 1234-567`,
    `0049 30 1234567` and, for a lead in Germany, `030 1234567` are all 49301234567."""
    text = phone.replace("(0)", "")
    digits = _NOT_DIGIT.sub("", text)
    if text.lstrip().startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0"):
        code = words.CALLING_CODES.get(country)
        number = code + digits[1:] if code else digits
    else:
        number = digits
    for size in (1, 2, 3):  # a trunk 0 after the country code: +49 030 ... (Italy keeps it)
        code = number[:size]
        if code in _CALLING:
            if number[size:size + 1] == "0" and code != "39":
                number = code + number[size + 1:]
            break
    return number if len(number) >= 6 else ""


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def identity(external_id: str, email: str, phone: str, first_name: str, last_name: str, company: str,
             country: str) -> Identity:
    """The keys an import knows a lead by (see `Identity`)."""
    number = phone_key(phone, country) if phone else ""
    person, firm = _folded(f"{first_name} {last_name}"), _folded(company)
    return ("x:" + external_id if external_id else "", "e:" + email.casefold() if email else "",
            "p:" + number if number else "", f"n:{person}|{firm}" if person and firm else "", person, firm)


def row_identity(row: tuple, *, full: bool = True) -> Keys:
    """`identity` of a prepared row (its `RECORD_FIELDS` values). Not `full`: a row with an
    email only by its external id and email (the phone and name of most rows are never
    needed: only a lead without an email is known by them); `KnownLeads.find` then says
    when the rest is wanted."""
    if not full and row[EMAIL]:
        return ("x:" + row[EXTERNAL_ID] if row[EXTERNAL_ID] else "", "e:" + row[EMAIL].casefold())
    return identity(row[EXTERNAL_ID], row[EMAIL], row[PHONE], row[FIRST_NAME], row[LAST_NAME], row[COMPANY],
                    row[COUNTRY])


class KnownLeads:
    """Which lead (or row of the file) each identity key belongs to.

    A key stays with the first lead that has it. A lead is found by its external id, else
    its email, else its phone number, else its name and company; by the last two only if
    nothing says it is someone else: another email or external id, another name for
    the same phone number (or another company), another phone number for the same name."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        #: The identities of leads without an email, known by phone or name.
        self.weak: dict[int, Identity] = {}

    def add(self, lead: int, keys: Keys) -> None:
        """Keys of `lead`; its phone and name only while it has no email (one with an email is
        known by it)."""
        table = self.keys
        for key in keys[:2] if keys[1] else keys[:4]:
            if key:
                table.setdefault(key, lead)
        if lead in self.weak:
            self.weak[lead] = (keys[0], keys[1], *self.weak[lead][2:]) if len(keys) == 2 else keys
        elif len(keys) == 6 and not keys[1] and (keys[2] or keys[3]):
            self.weak[lead] = keys

    def clear(self) -> None:
        self.keys.clear()
        self.weak.clear()

    def wants_all(self, keys: tuple) -> bool:
        """Whether `find` needs the phone and name of a row known so far by email alone."""
        return len(keys) == 2 and bool(self.weak)

    def find(self, keys: Keys) -> int | None:
        found = self.find_strong(keys)
        return self.find_weak(keys) if found is None else found

    def find_strong(self, keys: Keys) -> int | None:
        """The lead with the same external id, else the same email."""
        x, email = keys[0], keys[1]
        table = self.keys
        if x and x in table:
            return table[x]
        if email and email in table:
            return table[email]
        return None

    def find_weak(self, keys: Keys) -> int | None:
        """The lead with the same phone number, else the same name and company, if nothing
        says it is someone else."""
        if not self.weak or len(keys) != 6:  # known by its email alone: no phone or name to go by
            return None
        table = self.keys
        for key in keys[2:4]:
            lead = table.get(key) if key else None
            if lead is not None and self._fits(self.weak.get(lead), keys, key[0]):
                return lead
        return None

    @staticmethod
    def _fits(known: Identity | None, keys: Identity, kind: str) -> bool:
        if known is None:
            return True
        for mine, theirs in zip(keys[:2], known[:2], strict=True):
            if mine and theirs and mine != theirs:
                return False
        if kind == "p":
            return not any(mine and theirs and mine != theirs for mine, theirs in zip(keys[4:], known[4:], strict=True))
        return not (keys[2] and known[2] and keys[2] != known[2])


@dataclass
class RejectedRow:
    line: int
    raw: dict[str, Any]
    error: str


#: The fields of a lead an import fills, in the order a prepared row carries them; the
#: lead's score and the parts of the score follow them.
RECORD_FIELDS = (
    "salutation", "first_name", "last_name", "email", "phone", "job_title", "company", "country", "notes",
    "external_id", "channel", "interest", "existing_customer", "creditworthiness", "emails_opened",
    "emails_clicked", "pages_visited", "forms_filled", "extra", "created_at",
)


def _interest(text: str) -> Interest:
    key = normalise(text)
    found = INTEREST_WORDS.get(key) or _stem(key, words.INTEREST_STEMS)
    if found is None:
        raise ValueError(_("{value} is not an interest (inquiry, quote, demo)").format(value=_shown(text)))
    return found


def _remembered(convert: Callable[[str], Any]) -> Callable[[Any], Any]:
    """A validator for a column whose values repeat (channels, countries, yes and no): each
    different text is converted once. Values that are not text pass through unchanged."""
    memo: dict[str, Any] = {}

    def validator(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        found = memo.get(value)
        if found is None:
            if len(value) > MAX_FIELD:
                raise ValueError(_too_long(len(value)))
            found = convert(value)
            if len(memo) < 100_000:
                memo[value] = found
        return found

    return validator


#: Whether a channel text is one we know; an unknown one is kept with the lead.
_known_channel = _remembered(lambda text: _channel(text)[1])


#: A value pydantic reads itself (web_form, DE, yes) never reaches the Python converter
#: after it in the union; only the file's own words do (Organic Search, Germany, ja).
FIRST_FIT = Field(union_mode="left_to_right")
#: `LeadData`'s rule of each field: the import checks the same.
_RULES = get_type_hints(LeadData, include_extras=True)
_LIMITED = StringConstraints(max_length=MAX_FIELD)


def _limited(name: str) -> Any:
    """`LeadData`'s rule of a text field, with the import's length limit."""
    return Annotated[_RULES[name], _LIMITED]


def _in_words(name: str, convert: Callable[[str], Any]) -> Any:
    """`LeadData`'s rule of a field, reading the file's own words for it (`convert`) when
    the value is not one the rule reads itself."""
    rule = _RULES[name]
    return Annotated[rule | Annotated[rule, BeforeValidator(_remembered(convert))], FIRST_FIT]


#: One imported row as pydantic validates it: `LeadData`'s fields under `LeadData`'s own
#: rules (taken from it, not restated), plus the import's length limit and the creation
#: date. The file's words for channels, interests, countries and yes or no are converted on
#: the way. A batch of rows is validated in one call (`COLUMNS`), several times faster than
#: a model per row. Enums come out as their values, plain text for the process that stores them.
_RECORD_RULES: dict[str, Any] = {
    **{name: _limited(name) for name in ("salutation", "first_name", "last_name", "email", "phone", "job_title",
                                         "company")},
    "country": _in_words("country", _country),
    "notes": _limited("notes"),
    "external_id": _limited("external_id"),
    "channel": _in_words("channel", lambda text: _channel(text)[0]),
    "interest": _in_words("interest", _interest),
    "existing_customer": _in_words("existing_customer", _flag),
    "creditworthiness": _in_words("creditworthiness", _credit),
    **{name: _RULES[name] for name in ("emails_opened", "emails_clicked", "pages_visited", "forms_filled")},
    #: Columns triage has no field for: text of the import's length limit.
    "extra": dict[str, Annotated[str, _LIMITED]],
    "created_at": datetime | None,
}
LeadRecord = TypedDict("LeadRecord", _RECORD_RULES)  # type: ignore[misc]
LeadRecord.__pydantic_config__ = ConfigDict(use_enum_values=True)  # type: ignore[attr-defined]


#: `LeadRecord`'s rules for a batch given as columns, one list per field: a batch is
#: checked in one call with no dict per row.
LeadColumns = TypedDict(  # type: ignore[misc]
    "LeadColumns", {name: list[kind] for name, kind in get_type_hints(LeadRecord, include_extras=True).items()})  # type: ignore[valid-type]
LeadColumns.__pydantic_config__ = ConfigDict(use_enum_values=True)  # type: ignore[attr-defined]
COLUMNS: TypeAdapter[Any] = TypeAdapter(LeadColumns)
FIELD_AT = {name: index for index, name in enumerate(RECORD_FIELDS)}
EMAIL, FIRST_NAME, LAST_NAME, PHONE, COMPANY, COUNTRY, EXTERNAL_ID, CHANNEL, EXTRA, CREATED_AT = (
    FIELD_AT[name] for name in ("email", "first_name", "last_name", "phone", "company", "country", "external_id",
                                "channel", "extra", "created_at"))
DEFAULTS = {name: LeadData.model_fields[name].get_default(call_default_factory=True)
            for name in RECORD_FIELDS if name != "created_at"} | {"created_at": None}
COUNTS = ("emails_opened", "emails_clicked", "pages_visited", "forms_filled")
#: Converters for what pydantic does not read itself: "3,0" clicks, a date as 01.10.2026.
SLOW_PATH: dict[str, Callable[[str], Any]] = {**dict.fromkeys(COUNTS, _count), "created_at": _moment}


def _first_error(errors: list[Any]) -> Any:
    """The first failing field's error; where a union tried `LeadData`'s reading and then
    the file's words, the one the file's words gave (it says why in them)."""
    field = errors[0]["loc"][0]
    return next((error for error in reversed(errors) if error["loc"][0] == field and error["type"] == "value_error"),
                errors[0])


def _reason(error: Any) -> str:
    """A pydantic error (of `COLUMNS`) in the words of the rejects file: which field, and why."""
    field = str(error["loc"][0])
    kind, value = error["type"], error.get("input")
    if kind == "string_too_long" and isinstance(value, str):
        return f"{field}: {_too_long(len(value))}"
    return f"{field}: {str(error['msg']).removeprefix('Value error, ')}"


def _too_long(length: int) -> str:
    return _("{length} characters long; at most {most}").format(length=language.number(length), most=language.number(MAX_FIELD))


class Conversion:
    """Turns a file's rows into validated records, a batch at a time.

    The cells go to pydantic as they are, in one call per batch; only a row pydantic
    refuses takes the slow path, where dates such as 01.10.2026 and counts such as "3,0"
    are read by hand before the row is checked again.
    """

    def __init__(self, headers: list[str], fields: dict[str, str], unknown_columns: list[str],
                 delimiter: str = ",", neutralised: bool = True) -> None:
        """`neutralised`: the file may be a CSV or XLSX export whose formula-like cells carry
        a leading apostrophe (`exporting.neutralise`); it is taken back. Not for JSON."""
        self.headers = headers
        self.delimiter = delimiter
        infix = next((column for column in unknown_columns if normalise(column) in NAME_INFIXES), None)
        if infix is not None and "last_name" in fields.values():  # "de" + "Vries": the last name "de Vries"
            unknown_columns = [column for column in unknown_columns if column != infix]
        else:
            infix = None
        self.unknown_columns = unknown_columns
        self.unknown_channels: set[str] = set()
        self.neutralised = neutralised
        position = {header: index for index, header in enumerate(headers)}
        self._at = {target: position[column] for column, target in fields.items()}
        #: A column `extra`: the columns another triage exported, as one JSON object.
        self._extra_at = self._at.pop("extra", None)
        self._missing = {name: value for name, value in DEFAULTS.items() if name not in self._at}
        self._unknown = [(position[column], column) for column in unknown_columns if column in position]
        self._infix_at = None if infix is None else position[infix]
        #: A column of whole names and none of first names: split into first and last name.
        self._full_name = "first_name" not in self._at and any(
            target == "last_name" and normalise(column) in FULL_NAMES for column, target in fields.items())
        if self._full_name:
            self._missing.pop("first_name", None)

    def _raw(self, cells: list[str]) -> dict[str, Any]:
        raw = dict(zip(self.headers, cells, strict=False))
        if len(cells) > len(self.headers):
            raw[""] = self.delimiter.join(cells[len(self.headers):])
        return raw

    def _columns(self, table: list[list[str]]) -> dict[str, list[Any]]:
        """The batch's cells as one list per field, as `LeadColumns` takes them."""
        cells = list(zip(*table, strict=True))
        if self.neutralised:
            cells = [_taken_back(column) for column in cells]
        count = len(table)
        columns: dict[str, list[Any]] = {name: [value] * count for name, value in self._missing.items()}
        for name, index in self._at.items():
            columns[name] = list(cells[index])
        if self._infix_at is not None:
            columns["last_name"] = [f"{infix.strip()} {last.strip()}".strip()
                                    for infix, last in zip(cells[self._infix_at], columns["last_name"], strict=True)]
        if self._full_name:
            names = [name.strip().rpartition(" ") for name in columns["last_name"]]
            columns["first_name"] = [first.strip() for first, _, _ in names]
            columns["last_name"] = [last for _, _, last in names]
        for name in COUNTS:
            if name in self._at:
                columns[name] = [text or 0 for text in columns[name]]
        if "created_at" in self._at:
            columns["created_at"] = [text or None for text in columns["created_at"]]
        if self._unknown or self._extra_at is not None:
            own = cells[self._extra_at] if self._extra_at is not None else [""] * count
            columns["extra"] = [{**_extra_cell(own[row]), **{column: cells[index][row] for index, column in self._unknown
                                 if cells[index][row] and not cells[index][row].isspace()}} for row in range(count)]
        return columns

    def _slow(self, record: dict[str, Any]) -> tuple | str:
        """The record with dates and counts read by hand, validated; or why not."""
        record = dict(record)
        for name, convert in SLOW_PATH.items():
            if isinstance(record.get(name), str):
                try:
                    record[name] = convert(record[name])
                except ValueError as exc:
                    return f"{name}: {exc}"
        try:
            valid = COLUMNS.validate_python({name: [value] for name, value in record.items()})
        except ValidationError as exc:
            return _reason(_first_error(exc.errors(include_url=False)))
        return tuple(valid[name][0] for name in RECORD_FIELDS)

    def _validated(self, columns: dict[str, list[Any]]) -> list[tuple | str]:
        """Each row as its `RECORD_FIELDS` values, or why it is refused. The batch is checked
        in one call; only when pydantic refuses some rows are those read again by hand."""
        try:
            valid = COLUMNS.validate_python(columns)
            return list(zip(*(valid[name] for name in RECORD_FIELDS), strict=True))
        except ValidationError as exc:
            failed = {error["loc"][1] for error in exc.errors(include_url=False)}
        count = len(columns["email"])
        keep = [index for index in range(count) if index not in failed]
        valid = COLUMNS.validate_python({name: [column[index] for index in keep] for name, column in columns.items()})
        rows = list(zip(*(valid[name] for name in RECORD_FIELDS), strict=True))
        rows.reverse()
        return [self._slow({name: column[index] for name, column in columns.items()}) if index in failed
                else rows.pop() for index in range(count)]

    def batch(self, rows: list[tuple[int, list[str]]]) -> tuple[list[tuple], list[int], list[RejectedRow]]:
        """Valid rows (their `RECORD_FIELDS` values) and their line numbers, and the rows
        rejected with their reason."""
        width = len(self.headers)
        table: list[list[str]] = []
        kept: list[int] = []
        rejects: list[RejectedRow] = []
        for line, cells in rows:
            if len(cells) != width:
                if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                    rejects.append(RejectedRow(line, self._raw(cells), (
                        _("{cells} cells where the header has {width}: a delimiter in an unquoted value?").format(
                            cells=len(cells), width=width))))
                    continue
                cells = (cells + [""] * width)[:width]
            table.append(cells)
            kept.append(line)
        checked: list[tuple] = []
        lines: list[int] = []
        channel = self._at.get("channel")
        for row, line, cells in zip(self._validated(self._columns(table)) if table else [], kept, table, strict=True):
            if isinstance(row, str):
                rejects.append(RejectedRow(line, self._raw(cells), row))
            elif not (row[EMAIL] or row[LAST_NAME] or row[COMPANY] or row[EXTERNAL_ID]):
                rejects.append(RejectedRow(line, self._raw(cells),
                                           "no email, last name, company or external id: nothing says who this is"))
            else:
                if row[CHANNEL] == Channel.OTHER and channel is not None and not _known_channel(cells[channel]):
                    text = cells[channel].strip()
                    self.unknown_channels.add(text)
                    row = (*row[:EXTRA], {**row[EXTRA], "channel": text}, *row[EXTRA + 1:])
                checked.append(row)
                lines.append(line)
        rejects.sort(key=lambda reject: reject.line)
        return checked, lines, rejects


#: What an export neutralises in a CSV cell with a leading apostrophe, which is taken back.
_STARTS = frozenset(FORMULA_STARTS)


def _taken_back(column: tuple[str, ...]) -> tuple[str, ...]:
    """A column's cells without the apostrophe an export put before a formula start
    ("'+44 20 ...", "'=HYPERLINK(...)"); other cells as they are. Most columns have none,
    which one search of the joined column tells."""
    if "\x00'" not in "\x00" + "\x00".join(column):
        return column
    return tuple(cell[1:] if cell[:1] == "'" and cell[1:2] in _STARTS else cell for cell in column)


def _extra_cell(text: str) -> dict[str, str]:
    """A column `extra` as triage exports it (a JSON object of texts); anything else is kept
    as it is, under the column's name."""
    if not text or text.isspace():
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        return {"extra": text}
    return {str(key): value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for key, value in found.items() if value is not None}


@dataclass
class Batch:
    """A batch of prepared rows: each is the `RECORD_FIELDS` values, then score and parts.

    The values are plain (enums as their values, `created_at` as naive UTC ISO text), so a
    batch travels between processes cheaply.
    """

    rows: list[tuple]
    lines: list[int]
    rejects: list[RejectedRow]
    unknown_channels: set[str]
    #: How far through the file reading is, 0..1.
    progress: float
    #: Each row's `Identity`, made here rather than in the process that stores.
    identities: list[Keys] = field(default_factory=list)


def prepare(source: "Source", conversion: Conversion, rules: Rules, now: datetime, size: int = 5000,
            share: tuple[int, int] = (0, 1)) -> Iterator[Batch]:
    """The file's rows, converted, validated, dated (never in the future) and scored.

    `share` (k, n): only every n-th batch from the k-th on, for one of n readers.
    """
    mine, readers = share
    scorer = Scorer.of(rules)
    scored_on = itemgetter(*(FIELD_AT[name] for name in scorer.fields))
    shared_parts: dict[tuple, tuple] = {}
    latest = now.astimezone(timezone.utc).replace(tzinfo=None)
    today = latest.isoformat(" ")

    def dated(moment: datetime | None) -> str:
        if moment is None:
            return today
        if moment.tzinfo is not None:  # a date without a zone is in UTC
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return today if moment > latest else moment.isoformat(" ")

    for number, chunk in enumerate(_chunks(source.rows, size)):
        if number % readers != mine:
            continue
        valid, lines, rejects = conversion.batch(chunk)
        rows = []
        for row in valid:
            score, parts = scorer.score_values(scored_on(row))
            if len(shared_parts) < 100_000:  # the same parts, one object: cheaper to send and store
                parts = shared_parts.setdefault(parts, parts)
            rows.append((*row[:CREATED_AT], dated(row[CREATED_AT]), score, parts))
        yield Batch(rows, lines, rejects, set(conversion.unknown_channels), source.progress(),
                    [row_identity(row, full=False) for row in rows])


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


# --- reading files --------------------------------------------------------------------

@dataclass
class Source:
    headers: list[str]
    #: Line (or row) number and the cells, in the order of `headers`.
    rows: Iterator[tuple[int, list[str]]]
    #: How far through the file reading is, 0..1, for a progress bar.
    progress: Callable[[], float]
    #: The CSV dialect's delimiter, for the rejects file; "," for JSON and XLSX.
    delimiter: str = ","
    encoding: str = "utf-8"
    #: "csv", "json" or "xlsx".
    kind: str = "csv"
    size: int = 0
    close: Callable[[], None] = lambda: None


#: Byte-order marks, longest first (UTF-32 LE starts as UTF-16 LE does). "utf-16" and
#: "utf-32" read the mark and drop it.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 with no byte-order mark, told by its zero bytes: text in Latin letters has a
    zero in every other byte, the odd ones (little-endian) or the even ones (big-endian)."""
    sample = head[:4096 - len(head[:4096]) % 2]
    if len(sample) < 4:
        return None
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > half * 0.6 and even < half * 0.1:
        return "utf-16-le"
    if even > half * 0.6 and odd < half * 0.1:
        return "utf-16-be"
    return None


def detect_encoding(head: bytes, given: str | None) -> str:
    if given:
        try:
            codecs.lookup(given)
        except LookupError:
            raise UnreadableFile(_("unknown encoding {encoding} (e.g. utf-8, cp1252, utf-16, latin-1)").format(
                encoding=repr(given))) from None
        return given
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    wide = _utf16_without_bom(head)
    if wide:
        return wide
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut off at the end of the sample
            return "utf-8"
        return "cp1252"


def open_source(path: Path, encoding: str | None = None) -> Source:
    try:
        size = path.stat().st_size
        with path.open("rb") as probe:
            head = probe.read(65536)
    except FileNotFoundError:
        raise UnreadableFile(_("{path}: no such file").format(path=path)) from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror}") from None
    if not head.strip():
        raise UnreadableFile(_("{path} is empty").format(path=path))
    suffix = path.suffix.lower()
    if suffix == ".xlsx" or head.startswith(b"PK\x03\x04"):
        return _xlsx_source(path)
    chosen = detect_encoding(head, encoding)
    wide = codecs.lookup(chosen).name.startswith(("utf-16", "utf-32"))
    if b"\x00" in head and not wide:
        raise UnreadableFile(_("{path} is not a text file (CSV, JSON) or an XLSX workbook").format(path=path))
    text_head = head.decode(chosen, errors="replace").lstrip("\ufeff").lstrip()
    if not text_head.strip("\x00\ufffd \r\n\t"):
        raise UnreadableFile(_("{path} is empty").format(path=path))
    if suffix in (".json", ".jsonl", ".ndjson") or text_head[:1] in ("[", "{"):
        return _json_source(path, chosen, size)
    return _csv_source(path, chosen, size, text_head)


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t", "|"):
        counts = [line.count(delimiter) for line in lines]
        if not counts or counts[0] == 0:
            continue
        consistent = sum(1 for count in counts if count == counts[0])
        score = consistent * 100 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_source(path: Path, encoding: str, size: int, sample: str) -> Source:
    delimiter = _sniff_delimiter(sample)
    binary = path.open("rb")
    handle = io.TextIOWrapper(binary, encoding=encoding, newline="", errors="strict")
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        headers = next(reader)
    except (StopIteration, UnicodeDecodeError, csv.Error) as exc:
        binary.close()
        raise UnreadableFile(_("{path}: cannot read the header line ({problem})").format(path=path, problem=exc)) from None
    headers = [header.strip().lstrip("\ufeff") for header in headers]
    if len(headers) < 2 and not any(normalise(h) in ("email", "e mail") for h in headers):
        binary.close()
        raise UnreadableFile(_("{path}: found no columns (one header {header}); is it a CSV file?").format(
            path=path, header=repr(headers[0][:40])))

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for record in reader:
                if not record or (not record[0].strip() and not "".join(record).strip()):
                    continue
                yield reader.line_num, record
        except UnicodeDecodeError:
            raise UnreadableFile(
                _("{path}, line {line}: not {encoding}; give the file's encoding with "
                  "--encoding (e.g. cp1252 for German Excel)").format(
                    path=path, line=reader.line_num + 1, encoding=encoding)
            ) from None
        except csv.Error as exc:
            raise UnreadableFile(_("{path}, line {line}: {problem}").format(
                path=path, line=reader.line_num, problem=exc)) from None
        finally:
            binary.close()

    return Source(headers, rows(), lambda: binary.tell() / size if not binary.closed else 1.0, delimiter, encoding,
                  "csv", size, binary.close)


def _json_source(path: Path, encoding: str, size: int) -> Source:
    text = path.read_text(encoding=encoding, errors="strict").lstrip("\ufeff")
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records = json.loads(text)
            numbered = list(enumerate(records, 1))
        else:
            numbered = [(number, json.loads(line)) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    except json.JSONDecodeError as exc:
        raise UnreadableFile(_("{path}: not JSON (line {line}: {problem})").format(
            path=path, line=exc.lineno, problem=exc.msg)) from None
    if not numbered or not all(isinstance(record, dict) for _, record in numbered):
        raise UnreadableFile(_("{path}: expected an array of objects, or one object per line").format(path=path))
    headers: list[str] = []
    for _line, record in numbered:
        headers.extend(key for key in record if key not in headers)
    position = [0]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for index, (number, record) in enumerate(numbered):
            position[0] = index + 1
            yield number, [_json_cell(record.get(header)) for header in headers]

    return Source(headers, rows(), lambda: position[0] / len(numbered), kind="json", size=size)


def _json_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


#: XLSX escapes a character XML cannot hold (a carriage return, a control character) as
#: `_x000D_`, and an underscore that would look like such an escape as `_x005F_`.
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescaped(found: re.Match[str]) -> str:
    return chr(int(found.group(1), 16))


def _xlsx_source(path: Path) -> Source:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise UnreadableFile(_("{path}: not a readable XLSX workbook ({problem})").format(
            path=path, problem=type(exc).__name__)) from None
    sheet = workbook.worksheets[0]
    records = sheet.iter_rows(values_only=True)
    try:
        first = next(records)
    except StopIteration:
        raise UnreadableFile(_("{path} is empty").format(path=path)) from None
    headers = ["" if cell is None else str(cell).strip() for cell in first]
    total = max(1, (sheet.max_row or 2) - 1)
    position = [0]

    def cell_text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return _ESCAPED.sub(_unescaped, value) if "_x" in value else value
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, record in enumerate(records, 2):
            position[0] += 1
            if record is None or all(cell is None for cell in record):
                continue
            yield number, [cell_text(cell) for cell in record]
        workbook.close()

    return Source(headers, rows(), lambda: position[0] / total, kind="xlsx", close=workbook.close)


# --- reading a file, here or in a second process ----------------------------------------

#: A CSV file at least this big is read, checked and scored by reader processes while this
#: one stores what they have done. TRIAGE_READER_PROCESS_BYTES sets another size.
READER_PROCESS_BYTES = 8 * 1024 * 1024


def _reader_process_bytes() -> int:
    given = os.environ.get("TRIAGE_READER_PROCESS_BYTES", "")
    return int(given) if given.isdigit() else READER_PROCESS_BYTES


@dataclass
class Reading:
    """An opened import: its columns and, batch by batch, its prepared rows and rejects."""

    headers: list[str]
    delimiter: str
    unknown_columns: list[str]
    batches: Iterator[Batch]
    #: Columns known and left to triage (stage, owner, score, ...): not imported.
    ignored_columns: list[str] = field(default_factory=list)


def _plan(path: Path, encoding: str | None, mapping: dict[str, str]) -> tuple[Source, Conversion]:
    source = open_source(path, encoding)
    fields, unknown = column_map(source.headers, mapping)
    if not any(target in fields.values() for target in ("email", "last_name", "company", "external_id")):
        source.close()
        raise UnreadableFile(
            _("{path}: no column for email, last name, company or external id "
              "(columns: {columns}); name them, or map them with --map").format(
                path=path, columns=", ".join(source.headers[:12]))
        )
    return source, Conversion(source.headers, fields, unknown, source.delimiter, source.kind != "json")


def read(path: Path, *, rules: Rules, now: datetime, encoding: str | None = None, mapping: dict[str, str] | None = None,
         separate_process: bool | None = None, batch_size: int = 5000) -> Reading:
    """Open `path` for an import; UnreadableFile when it cannot be read as leads at all.

    `separate_process`: None chooses by the file (a big CSV file gets a reader process).
    """
    mapping = mapping or {}
    source, conversion = _plan(path, encoding, mapping)
    fields = set(column_map(source.headers, mapping)[0])
    if separate_process is None:
        separate_process = source.kind == "csv" and source.size >= _reader_process_bytes()
    if separate_process:
        source.close()
        batches = _batches_from_reader(path, encoding, mapping, rules, now, batch_size)
    else:
        batches = prepare(source, conversion, rules, now, batch_size)
    ignored = [header for header in source.headers
               if header not in fields and header not in conversion.unknown_columns and header.strip()]
    return Reading(source.headers, source.delimiter, conversion.unknown_columns, batches, ignored)


def _batches_from_reader(path: Path, encoding: str | None, mapping: dict[str, str], rules: Rules, now: datetime,
                         size: int) -> Iterator[Batch]:
    """`prepare`'s batches, made by child processes, in the file's order.

    With two cores, two readers each parse the whole file (cheap) but check and score only
    every other batch (dear): the storing process is then kept busy. They are stopped if
    this generator is left early (an error while storing, Ctrl-C), and stop themselves if
    this process dies.
    """
    context = start_context()
    count = min(2, os.cpu_count() or 1)
    channels: list[Any] = []
    readers: list[Any] = []
    try:
        with stderr_for_children():
            for number in range(count):
                channels.append(context.Queue(maxsize=4))
                readers.append(context.Process(
                    target=_read_in_child, name=f"triage import reader {number + 1}", daemon=True,
                    args=(channels[-1], path, encoding, mapping, rules, now, size, (number, count), os.getpid(),
                          language.current())))
                readers[-1].start()
    except (OSError, ValueError):  # no process to be had: read here, slower but the same
        for reader in readers:
            if reader.is_alive():
                reader.terminate()
        source, conversion = _plan(path, encoding, mapping)
        yield from prepare(source, conversion, rules, now, size)
        return
    try:
        for turn in itertools.count():
            channel, reader = channels[turn % count], readers[turn % count]
            while True:
                try:
                    kind, item = channel.get(timeout=1)
                    break
                except queue.Empty:
                    if not reader.is_alive():
                        raise TriageError(_("the process reading {name} stopped (exit code {code}); "
                                            "nothing was imported").format(name=path.name, code=reader.exitcode)) from None
            if kind == "batch":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        for reader, channel in zip(readers, channels, strict=True):
            if reader.is_alive():
                reader.terminate()
            reader.join(5)
            channel.close()


def _read_in_child(channel: Any, path: Path, encoding: str | None, mapping: dict[str, str], rules: Rules,
                   now: datetime, size: int, share: tuple[int, int], parent: int, speaking: str = "en") -> None:
    end_with(parent)
    language.use(speaking)  # a fresh interpreter speaks English until told: its reject reasons are the user's
    gc.disable()  # nothing here makes reference cycles; the collector would only slow it down
    try:
        source, conversion = _plan(path, encoding, mapping)
        for batch in prepare(source, conversion, rules, now, size, share):
            channel.put(("batch", batch))
        channel.put(("done", None))
    except TriageError as exc:
        channel.put(("error", exc))
    except Exception as exc:  # anything else still reaches the user as one line
        channel.put(("error", TriageError(_("reading {name} failed: {problem}").format(
            name=path.name, problem=f"{type(exc).__name__}: {exc}"))))
