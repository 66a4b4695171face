"""Exports for the review board and for marketing: returned leads, all leads, the
suppression list, and the team's balance, as CSV, XLSX or JSON.

A cell that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) is neutralised with a leading apostrophe, in CSV and XLSX alike: a lead
named "=HYPERLINK(...)" must stay text on the review board's screen.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from typing import Any, BinaryIO, Iterable, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("returned", "leads", "suppression", "balance")
FORMATS = ("csv", "xlsx", "json")


def neutralise(value: Any) -> Any:
    """A value safe in a spreadsheet cell; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None:
        return ""
    return value


def write_csv(stream: TextIO, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """CSV for Excel: the caller opens `stream` as UTF-8 with a byte-order mark."""
    writer = csv.writer(stream)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralise(_plain(row.get(column))) for column in columns])
        count += 1
    return count


def write_json(stream: TextIO, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """A JSON array of objects, one row at a time so that a million leads never sit in memory."""
    stream.write("[")
    count = 0
    for row in rows:
        stream.write(("," if count else "") + "\n" + json.dumps(
            {column: row.get(column) for column in columns}, ensure_ascii=False, default=str))
        count += 1
    stream.write("\n]\n")
    return count


def write_xlsx(target: str | BinaryIO, columns: list[str], rows: Iterable[dict[str, Any]], sheet: str) -> int:
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    page = book.add_worksheet(sheet[:31])
    page.write_row(0, 0, columns, bold)
    count = 0
    for count, row in enumerate(rows, 1):
        for column_number, column in enumerate(columns):
            value = neutralise(_plain(row.get(column)))
            if isinstance(value, bool):
                page.write_boolean(count, column_number, value)
            elif isinstance(value, (int, float)):
                page.write_number(count, column_number, value)
            else:
                page.write_string(count, column_number, str(value))
    page.freeze_panes(1, 0)
    book.close()
    return count
