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
from typing import Any, BinaryIO, Iterable, TextIO

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


#: What `export_lead_cells` hands over: pages of rows formatted by the database, with the
#: positions of the JSON columns left as stored.
Pages = Iterable[tuple[list[int], list[tuple]]]


class _JsonLayout:
    """Stored JSON text (compact) as the exports write it, each distinct text worked out once:
    most leads' overrides and extra fields are `{}`, while their breakdowns mostly differ, so
    at most `KEPT` texts are held."""

    KEPT = 4096

    def __init__(self, none: str) -> None:
        self.seen: dict[str | None, str] = {None: none}

    def __call__(self, text: str | None) -> str:
        found = self.seen.get(text)
        if found is None:
            found = _JSON.encode(json.loads(text))  # type: ignore[arg-type]
            if len(self.seen) < self.KEPT:
                self.seen[text] = found
        return found


def write_csv_cells(stream: TextIO, columns: list[str], pages: Pages, style: CsvStyle = CsvStyle()) -> int:
    """`write_csv` of rows whose cells the database formatted (no float columns among them):
    the same file, without Python per cell."""
    writer = csv.writer(stream, delimiter=style.delimiter)
    writer.writerow(columns)
    layout = _JsonLayout("")
    count = 0
    for json_at, rows in pages:
        writer.writerows([_laid_out(row, json_at, layout) for row in rows] if json_at else rows)
        count += len(rows)
    return count


def _laid_out(row: tuple, json_at: list[int], layout: _JsonLayout) -> list:
    cells = list(row)
    for number in json_at:
        cells[number] = layout(cells[number])
    return cells


def write_json_pieces(stream: TextIO, pages: Pages) -> int:
    """`write_json` of objects whose text the database wrote in pieces, the JSON columns
    between them as stored: the same file."""
    layout = _JsonLayout("null")
    stream.write("[")
    count = 0
    for json_at, rows in pages:
        texts = []
        for row in rows:
            pieces = list(row)
            pieces.pop()  # the id, for paging
            for number in json_at:
                pieces[number] = layout(pieces[number])
            texts.append("".join(pieces))
        stream.write(("," if count else "") + "\n" + ",\n".join(texts))
        count += len(rows)
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
