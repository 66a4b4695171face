"""Reading marketing's files: CSV as people really have it, JSON, and XLSX.

This module turns a file into validated leads and rejected rows; storing them is the
service's and the store's business. Nothing is dropped silently: a row that does not
validate is kept, unchanged, with the reason; a column or channel value we do not know is
kept with the lead (in `extra`) and reported.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import ValidationError

from .errors import TriageError
from .models import Channel, Interest, LeadData

#: A text field longer than this is refused: no lead has a 10,000-character name.
MAX_FIELD = 10_000
#: The csv module refuses longer fields outright; the row is then rejected by MAX_FIELD.
csv.field_size_limit(64 * 1024 * 1024)

CANONICAL = (
    "external_id", "salutation", "first_name", "last_name", "email", "phone", "company", "job_title",
    "country", "channel", "interest", "existing_customer", "notes", "created_at", "emails_opened",
    "emails_clicked", "pages_visited", "forms_filled",
)
#: Columns of a HubSpot contacts export, and a few other common spellings.
ALIASES = {
    "record id": "external_id", "contact id": "external_id", "id": "external_id",
    "first name": "first_name", "firstname": "first_name", "vorname": "first_name", "voornaam": "first_name",
    "last name": "last_name", "lastname": "last_name", "nachname": "last_name", "achternaam": "last_name",
    "email address": "email", "e mail": "email", "mail": "email",
    "phone number": "phone", "mobile phone number": "phone", "telefon": "phone", "telefoon": "phone",
    "company name": "company", "firma": "company", "unternehmen": "company", "bedrijf": "company",
    "job title": "job_title", "position": "job_title", "functie": "job_title",
    "country/region": "country", "land": "country",
    "original source": "channel", "source": "channel", "lead source": "channel",
    "create date": "created_at", "created": "created_at",
    "anrede": "salutation", "aanhef": "salutation",
    "marketing emails opened": "emails_opened", "marketing emails clicked": "emails_clicked",
    "number of pageviews": "pages_visited", "number of form submissions": "forms_filled",
    "lifecycle stage": None, "contact owner": None,  # known, deliberately not imported
}
#: HubSpot's Original Source values, and plain words, mapped to our channels.
CHANNEL_WORDS = {
    "organic search": Channel.ORGANIC_SEARCH, "seo": Channel.ORGANIC_SEARCH,
    "paid search": Channel.PAID_ADS, "paid social": Channel.PAID_ADS, "ads": Channel.PAID_ADS,
    "social media": Channel.SOCIAL, "email marketing": Channel.EMAIL, "newsletter": Channel.EMAIL,
    "referrals": Channel.REFERRAL, "ai referrals": Channel.REFERRAL, "empfehlung": Channel.REFERRAL,
    "direct traffic": Channel.WEB_FORM, "website": Channel.WEB_FORM, "form": Channel.WEB_FORM,
    "offline sources": Channel.EVENT, "trade fair": Channel.EVENT, "messe": Channel.EVENT, "beurs": Channel.EVENT,
    "other campaigns": Channel.OTHER, "telefon": Channel.PHONE, "call": Channel.PHONE,
    "partner": Channel.PARTNER, "purchased list": Channel.PURCHASED_LIST,
}
INTEREST_WORDS = {
    "demo": Interest.DEMO_REQUEST, "demo request": Interest.DEMO_REQUEST, "demo anfrage": Interest.DEMO_REQUEST,
    "quote": Interest.QUOTE_REQUEST, "quote request": Interest.QUOTE_REQUEST, "angebot": Interest.QUOTE_REQUEST,
    "offerte": Interest.QUOTE_REQUEST, "pricing": Interest.QUOTE_REQUEST,
    "inquiry": Interest.INQUIRY, "enquiry": Interest.INQUIRY, "anfrage": Interest.INQUIRY, "": Interest.INQUIRY,
}
#: Country names in English, German and Dutch for the countries leads mostly come from.
COUNTRY_NAMES = {
    "germany": "DE", "deutschland": "DE", "duitsland": "DE", "austria": "AT", "österreich": "AT",
    "oostenrijk": "AT", "switzerland": "CH", "schweiz": "CH", "zwitserland": "CH", "suisse": "CH",
    "netherlands": "NL", "the netherlands": "NL", "nederland": "NL", "niederlande": "NL", "holland": "NL",
    "belgium": "BE", "belgië": "BE", "belgien": "BE", "belgique": "BE", "luxembourg": "LU", "luxemburg": "LU",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "vereinigtes königreich": "GB",
    "verenigd koninkrijk": "GB", "ireland": "IE", "irland": "IE", "ierland": "IE", "france": "FR",
    "frankreich": "FR", "frankrijk": "FR", "spain": "ES", "spanien": "ES", "spanje": "ES", "italy": "IT",
    "italien": "IT", "italië": "IT", "poland": "PL", "polen": "PL", "denmark": "DK", "dänemark": "DK",
    "denemarken": "DK", "sweden": "SE", "schweden": "SE", "zweden": "SE", "norway": "NO", "norwegen": "NO",
    "noorwegen": "NO", "united states": "US", "usa": "US", "vereinigte staaten": "US",
    "verenigde staten": "US", "liechtenstein": "LI",
}
TRUE_WORDS = {"yes", "y", "true", "1", "ja", "j", "x", "wahr", "existing", "bestandskunde", "bestaand"}
FALSE_WORDS = {"no", "n", "false", "0", "nein", "nee", "", "new", "neukunde", "nieuw"}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y",
                "%d-%m-%Y %H:%M", "%d-%m-%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y")


class UnreadableFile(TriageError):
    """The file cannot be read as leads at all (exit 2)."""


def normalise(header: str) -> str:
    return re.sub(r"[\s_\-]+", " ", header.strip().lstrip("\ufeff").lower())


def column_map(headers: list[str], mapping: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Which field each column fills, and the columns we do not know (kept in `extra`)."""
    wanted = {normalise(column): target for column, target in mapping.items()}
    canonical = {normalise(name): name for name in CANONICAL}
    fields: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        key = normalise(header)
        target = wanted.get(key) or canonical.get(key) or ALIASES.get(key, "unknown")
        if target == "unknown":
            unknown.append(header)
        elif target is not None and target not in fields.values():
            fields[header] = target
    return fields, unknown


def parse_mapping(items: list[str]) -> dict[str, str]:
    """`--map "Spalte=field"` options."""
    mapping = {}
    for item in items:
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or target.strip() not in CANONICAL:
            raise TriageError(
                f"--map {item!r}: use COLUMN=FIELD, FIELD one of {', '.join(CANONICAL)}"
            )
        mapping[column.strip()] = target.strip()
    return mapping


def _channel(value: str) -> tuple[Channel, bool]:
    key = normalise(value)
    for channel in Channel:
        if key in (channel.value, channel.value.replace("_", " ")):
            return channel, True
    if key in CHANNEL_WORDS:
        return CHANNEL_WORDS[key], True
    return Channel.OTHER, key == ""


def _country(value: str) -> str:
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    code = COUNTRY_NAMES.get(text.lower())
    if code is None and text:
        raise ValueError(f"{text!r} is not a country we know (a two-letter code such as DE always works)")
    return code or ""


def _count(value: str) -> int:
    text = value.strip()
    if not text:
        return 0
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if number < 0 or number != int(number):
        raise ValueError(f"{text!r} is not a whole number of zero or more")
    return int(number)


def _flag(value: str) -> bool:
    text = value.strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is neither yes nor no")


def _moment(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for pattern in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD.MM.YYYY, optionally with HH:MM)") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@dataclass
class ImportedRow:
    """A valid row: the lead's data, where it came from, and when it was created."""

    line: int
    data: LeadData
    created_at: datetime | None


@dataclass
class RejectedRow:
    line: int
    raw: dict[str, Any]
    error: str


TEXT, CHANNEL, INTEREST, COUNTRY, FLAG, MOMENT, COUNT = range(7)
KINDS = {"channel": CHANNEL, "interest": INTEREST, "country": COUNTRY, "existing_customer": FLAG,
         "created_at": MOMENT, "emails_opened": COUNT, "emails_clicked": COUNT, "pages_visited": COUNT,
         "forms_filled": COUNT}


def _interest(text: str) -> Interest:
    key = normalise(text)
    found = INTEREST_WORDS.get(key)
    if found is None:
        try:
            found = Interest(key.replace(" ", "_"))
        except ValueError:
            raise ValueError(f"{text!r} is not an interest (inquiry, quote, demo)") from None
    return found


class Conversion:
    """Turns a file's rows into lead data: each column's converter is chosen once, and
    the values that repeat (channels, countries, yes and no) are converted once."""

    def __init__(self, fields: dict[str, str], unknown_columns: list[str]) -> None:
        self.fields = fields
        self.unknown_columns = unknown_columns
        self.unknown_channels: set[str] = set()
        self._unknown = set(unknown_columns)
        self._plan = {column: (target, KINDS.get(target, TEXT)) for column, target in fields.items()}
        self._memo: dict[tuple[int, str], Any] = {}
        self._converters = {CHANNEL: _channel, INTEREST: _interest, COUNTRY: _country, FLAG: _flag}

    def _converted(self, kind: int, text: str) -> Any:
        key = (kind, text)
        found = self._memo.get(key)
        if found is None:
            found = self._converters[kind](text)
            if len(self._memo) < 100_000:
                self._memo[key] = found
        return found

    def row(self, line: int, raw: dict[str, Any]) -> ImportedRow | RejectedRow:
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        created = None
        plan = self._plan
        current = ""
        try:
            for column, value in raw.items():
                text = value if isinstance(value, str) else ("" if value is None else str(value))
                if len(text) > MAX_FIELD:
                    return RejectedRow(line, raw, f"{column}: {len(text):,} characters long; at most {MAX_FIELD:,}")
                planned = plan.get(column)
                if planned is None:
                    if text and column in self._unknown and text.strip():
                        extra[column] = text
                    continue
                current, kind = planned
                if kind == TEXT:
                    values[current] = text
                elif kind == COUNT:
                    values[current] = int(text) if text.isdigit() else _count(text)
                elif kind == MOMENT:
                    created = _moment(text)
                elif kind == CHANNEL:
                    channel, known = self._converted(CHANNEL, text)
                    if not known:
                        self.unknown_channels.add(text.strip())
                        extra["channel"] = text.strip()
                    values["channel"] = channel
                else:
                    values[current] = self._converted(kind, text)
            if extra:
                values["extra"] = extra
            data = LeadData.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            return RejectedRow(line, raw, f"{where}: {str(error['msg']).removeprefix('Value error, ')}")
        except ValueError as exc:
            return RejectedRow(line, raw, f"{current}: {exc}")
        if not (data.email or data.last_name or data.company or data.external_id):
            return RejectedRow(line, raw, "no email, last name, company or external id: nothing says who this is")
        return ImportedRow(line, data, created)


def raw_value(raw: dict[str, Any], fields: dict[str, str], target: str) -> str:
    return next((str(raw[column]) for column, name in fields.items() if name == target), "")


# --- reading files --------------------------------------------------------------------

@dataclass
class Source:
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    #: How far through the file reading is, 0..1, for a progress bar.
    progress: Callable[[], float]
    #: The CSV dialect's delimiter, for the rejects file; "," for JSON and XLSX.
    delimiter: str = ","
    encoding: str = "utf-8"


def detect_encoding(head: bytes, given: str | None) -> str:
    if given:
        try:
            codecs.lookup(given)
        except LookupError:
            raise UnreadableFile(f"unknown encoding {given!r} (e.g. utf-8, cp1252, latin-1)") from None
        return given
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
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
        raise UnreadableFile(f"{path}: no such file") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror}") from None
    if not head.strip():
        raise UnreadableFile(f"{path} is empty")
    suffix = path.suffix.lower()
    if suffix == ".xlsx" or head.startswith(b"PK\x03\x04"):
        return _xlsx_source(path)
    if b"\x00" in head:
        raise UnreadableFile(f"{path} is not a text file (CSV, JSON) or an XLSX workbook")
    chosen = detect_encoding(head, encoding)
    text_head = head.decode(chosen, errors="replace").lstrip("\ufeff").lstrip()
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
        raise UnreadableFile(f"{path}: cannot read the header line ({exc})") from None
    headers = [header.strip().lstrip("\ufeff") for header in headers]
    if len(headers) < 2 and not any(normalise(h) in ("email", "e mail") for h in headers):
        binary.close()
        raise UnreadableFile(f"{path}: found no columns (one header {headers[0][:40]!r}); is it a CSV file?")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for record in reader:
                if not any(cell.strip() for cell in record):
                    continue
                line = reader.line_num
                if len(record) > len(headers):
                    extra = record[len(headers):]
                    record = record[:len(headers)]
                    if any(cell.strip() for cell in extra):
                        yield line, {**dict(zip(headers, record, strict=True)), "": delimiter.join(extra)}
                        continue
                yield line, dict(zip(headers, record + [""] * (len(headers) - len(record)), strict=True))
        except UnicodeDecodeError:
            raise UnreadableFile(
                f"{path}, line {reader.line_num + 1}: not {encoding}; give the file's encoding with "
                "--encoding (e.g. cp1252 for German Excel)"
            ) from None
        except csv.Error as exc:
            raise UnreadableFile(f"{path}, line {reader.line_num}: {exc}") from None
        finally:
            binary.close()

    return Source(headers, rows(), lambda: binary.tell() / size if not binary.closed else 1.0, delimiter, encoding)


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
        raise UnreadableFile(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not numbered or not all(isinstance(record, dict) for _, record in numbered):
        raise UnreadableFile(f"{path}: expected an array of objects, or one object per line")
    headers: list[str] = []
    for _, record in numbered:
        headers.extend(key for key in record if key not in headers)
    position = [0]

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for index, (number, record) in enumerate(numbered):
            position[0] = index + 1
            yield number, {key: "" if value is None else value for key, value in record.items()}

    return Source(headers, rows(), lambda: position[0] / len(numbered))


def _xlsx_source(path: Path) -> Source:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise UnreadableFile(f"{path}: not a readable XLSX workbook ({type(exc).__name__})") from None
    sheet = workbook.worksheets[0]
    records = sheet.iter_rows(values_only=True)
    try:
        first = next(records)
    except StopIteration:
        raise UnreadableFile(f"{path} is empty") from None
    headers = ["" if cell is None else str(cell).strip() for cell in first]
    total = max(1, (sheet.max_row or 2) - 1)
    position = [0]

    def cell_text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, record in enumerate(records, 2):
            position[0] += 1
            if record is None or all(cell is None for cell in record):
                continue
            values = [cell_text(cell) for cell in record] + [""] * (len(headers) - len(record))
            yield number, dict(zip(headers, values[:len(headers)], strict=True))
        workbook.close()

    return Source(headers, rows(), lambda: position[0] / total)
