"""Exports for the review board and for marketing: returned leads, all leads, the
suppression list, and the team's balance, as CSV, XLSX or JSON.

Each format carries the values as they are, so that `triage import` takes an export of
leads back field for field:
- CSV: a cell that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or
  a carriage return) is neutralised with a leading apostrophe, which the import takes back.
  For German or Dutch Excel, semicolons between cells and decimal commas (`CsvStyle`).
- XLSX: typed cells. Text is written as text, which no spreadsheet evaluates (so no
  apostrophe), numbers as numbers, dates and times as Excel dates (Excel keeps them to the
  millisecond); a frozen header, a filter and widths that fit.
- JSON: the values, dates and times as ISO 8601 text with `T`, as in CSV.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any, BinaryIO, Callable, Iterable, Sequence, TextIO

from triage.domain import words

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("returned", "leads", "suppression", "balance")
FORMATS = ("csv", "xlsx", "json")
#: Widths of XLSX columns, in characters: fitted to the header and the first rows, within these.
NARROWEST, WIDEST, MEASURED_ROWS = 6, 60, 1000


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV file is laid out for the Excel that opens it."""

    delimiter: str = ","
    decimal_comma: bool = False


#: `--excel LANG`: German and Dutch Excel split a CSV file at semicolons and read 0,5 as a
#: number (0.5 as a date or text); English Excel splits at commas and reads 0.5.
EXCEL_STYLES = {
    "en": CsvStyle(","),
    "de": CsvStyle(";", decimal_comma=True),
    "nl": CsvStyle(";", decimal_comma=True),
}


def neutralise(value: Any) -> Any:
    """A value safe in a CSV cell; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _moment(value: datetime | date) -> str:
    """ISO 8601 with `T`; a time with a zone in UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.isoformat()


def _plain(value: Any, decimal_comma: bool = False) -> Any:
    """A value as a CSV cell holds it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return _moment(value)
    if isinstance(value, (list, dict)):
        return _JSON.encode(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and decimal_comma:
        return repr(value).replace(".", ",")
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return _moment(value)
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


#: One encoder for every value and row: `json.dumps` with options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, default=_json_default)


def _cell(value: Any, decimal_comma: bool = False) -> Any:
    """A value as a CSV cell, neutralised (see `write_csv`)."""
    return neutralise(_plain(value, decimal_comma))


def write_csv(stream: TextIO, columns: list[str], rows: Iterable[dict[str, Any]],
              style: CsvStyle = CsvStyle()) -> int:
    """CSV for Excel: the caller opens `stream` as UTF-8 with a byte-order mark."""
    writer = csv.writer(stream, delimiter=style.delimiter)
    writer.writerow(columns)
    comma = style.decimal_comma
    count = 0
    for row in rows:
        # Text that starts no formula and whole numbers are cells as they are, without a
        # call per cell: most of a million rows' cells, at a tenth of the cost.
        writer.writerow([
            value if type(value) is int or (type(value) is str and not value.startswith(FORMULA_STARTS))
            else _cell(value, comma)
            for value in map(row.get, columns)
        ])
        count += 1
    return count


def write_json(stream: TextIO, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """A JSON array of objects, one row at a time so that a million leads never sit in memory."""
    stream.write("[")
    count = 0
    encode = _JSON.encode
    for row in rows:
        stream.write(("," if count else "") + "\n" + encode(dict(zip(columns, map(row.get, columns)))))
        count += 1
    stream.write("\n]\n")
    return count


def json_text(text: str) -> str:
    """Stored JSON text as the exports write it (as `_plain` and `write_json` write the value)."""
    return _JSON.encode(json.loads(text))


#: What compact JSON holds outside its strings besides true, false and null.
_STRUCTURE = b"[]{},:0123456789-\x00"


def _compact(page: str) -> bool:
    """Whether the compact JSON in `page` (no backslash in it) is laid out as `json_text`
    lays it out by a space after each comma and colon outside its strings: none in its
    strings, and nothing but structure, whole numbers, true, false and null outside them."""
    parts = page.split('"')
    inside = '"'.join(parts[1::2])
    if "," in inside or ":" in inside or "\x00" in inside:
        return False
    outside = "".join(parts[0::2])
    rest = outside.encode().translate(None, _STRUCTURE).replace(b"true", b"").replace(b"false", b"").replace(b"null", b"")
    return not rest and "-0" not in outside


#: Pieces of pages of JSON (between `},{`) as `json_texts` lays them out: a million score
#: breakdowns are made of a few thousand pieces.
_LAID_PIECES: dict[str, str] = {}
PIECES_KEPT, LONGEST_PIECE_KEPT = 50_000, 200


def _laid_pieces(page: str) -> list[str] | None:
    """The pieces of `page` between `},{` laid out, each checked once however often it
    comes; None when a piece is not `_compact`. A piece with its quotes paired holds its
    strings whole, so the pieces are all `_compact` exactly when the page is."""
    pieces = page.split("},{")
    laid = list(map(_LAID_PIECES.get, pieces))
    if None not in laid:
        return laid  # type: ignore[return-value]
    for number, piece in enumerate(pieces):
        if laid[number] is None:
            if piece.count('"') % 2 or not _compact(piece):
                return None
            laid[number] = found = piece.replace(",", ", ").replace(":", ": ")
            if len(piece) <= LONGEST_PIECE_KEPT:
                if len(_LAID_PIECES) >= PIECES_KEPT:
                    _LAID_PIECES.clear()
                _LAID_PIECES[piece] = found
    return laid  # type: ignore[return-value]


def json_texts(texts: Sequence[str]) -> list[str]:
    """`json_text` of each of a page of stored texts, without Python per text where it can:
    JSON that `json.dumps` wrote compact (no escapes, no real numbers) is laid out by a
    space after each comma and colon outside its strings, checked for the page at once
    (and each piece between objects once, `_laid_pieces`)."""
    page = "\x00".join(texts)
    if "\\" not in page and page.count("\x00") == len(texts) - 1:
        laid = _laid_pieces(page)
        if laid is not None:
            return "}, {".join(laid).split("\x00")
        if _compact(page):
            return page.replace(",", ", ").replace(":", ": ").split("\x00")
    if len(texts) > 64:  # one text that needs parsing costs its half, not the page
        half = len(texts) // 2
        return json_texts(texts[:half]) + json_texts(texts[half:])
    return [json_text(text) for text in texts]


#: What `export_lead_text` hands over: pages of leads as (how many, their text in the file in UTF-8).
Pages = Iterable[tuple[int, bytes | bytearray]]


def _page_writer(stream: TextIO) -> Callable[[bytes | bytearray], Any]:
    """Writes a page of UTF-8 text to `stream`: to the file under it as it is when `stream`
    writes UTF-8 (no decoding and encoding again), else as text."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    buffer = getattr(stream, "buffer", None)
    if buffer is None or encoding not in ("utf-8", "utf8", "utf-8-sig"):
        return lambda page: stream.write(page.decode())

    def write(page: bytes | bytearray) -> None:
        stream.flush()  # what `stream` holds (the header, the BOM) first
        buffer.write(page)

    return write


def write_csv_text(stream: TextIO, columns: list[str], pages: Pages, style: CsvStyle = CsvStyle()) -> int:
    """`write_csv` of leads whose lines the database wrote, split by `style.delimiter` (no
    float columns among them): the same file, without Python per row."""
    csv.writer(stream, delimiter=style.delimiter).writerow(columns)
    write = _page_writer(stream)
    count = 0
    for leads, text in pages:
        write(text)
        count += leads
    return count


def write_json_text(stream: TextIO, pages: Pages) -> int:
    """`write_json` of objects whose text the database wrote: the same file."""
    stream.write("[")
    write = _page_writer(stream)
    count = 0
    for leads, text in pages:
        stream.write(("," if count else "") + "\n")
        write(text)
        count += leads
    stream.write("\n]\n")
    return count


def _excel_moment(value: datetime) -> datetime:
    """A time as Excel holds it: without a zone, in UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def write_xlsx(target: str | BinaryIO, columns: list[str], rows: Iterable[dict[str, Any]], sheet: str) -> int:
    """A workbook of typed cells (see the module), written row by row (constant memory)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    page = book.add_worksheet(words.sheet_name(sheet)[:31])
    headings = [words.heading(column) for column in columns]  # in the language in use; the data as ever
    page.write_row(0, 0, headings, bold)
    widths = [len(text) + 2 for text in headings]  # room for the filter's button
    count = 0
    for count, row in enumerate(rows, 1):
        measure = count <= MEASURED_ROWS
        for number, column in enumerate(columns):
            value = row.get(column)
            if isinstance(value, Enum):
                value = value.value
            if value is None:
                continue
            if isinstance(value, bool):
                page.write_boolean(count, number, value)
                shown = 5
            elif isinstance(value, (int, float)):
                page.write_number(count, number, value)
                shown = len(f"{value:g}")
            elif isinstance(value, datetime):
                page.write_datetime(count, number, _excel_moment(value), when)
                shown = 19
            elif isinstance(value, date):
                page.write_datetime(count, number, value, day)
                shown = 10
            else:
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                                      default=_json_default)
                page.write_string(count, number, text)
                shown = max((len(line) for line in text.splitlines()), default=0) if measure else 0
            if measure and shown > widths[number]:
                widths[number] = shown
    for number, width in enumerate(widths):
        page.set_column(number, number, min(WIDEST, max(NARROWEST, width + 1)))
    page.freeze_panes(1, 0)
    page.autofilter(0, 0, max(count, 1), max(len(columns) - 1, 0))
    book.close()
    return count
