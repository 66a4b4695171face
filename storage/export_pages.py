"""The leads export's pages, formatted by the database: one page's text from its rows, the
pages of a range of ids, and on SQLite the pages read by two processes at once.

SQLite formats a page's cells in C; what it leaves to Python (the JSON columns, the join
of the cells) runs a page at a time. Both are CPU: a million leads take about twenty
CPU-seconds in one process, so with two cores two readers each format every other window
of ids and this process writes their pages in order. Each reader holds one page at a
time (it waits at the pipe until its page is taken), so memory stays flat however many
leads there are.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import sqlite3
import struct
from itertools import repeat
from operator import contains
from typing import Any, Callable, Iterator, Sequence

from triage.domain.errors import DatabaseError
from triage.files.processes import end_with, start_context, stderr_for_children

from .db import BUSY_TIMEOUT_SECONDS

#: Fetches the rows of a query with its parameters.
Fetch = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
Layout = Callable[[Sequence[str]], list[str]]
#: What a reader sends before a page: how many leads (or one of the marks below) and its bytes.
_HEADER = struct.Struct("<qq")
_WINDOW_DONE, _FAILED = -1, -2
#: Ids under this many pages are read here: two processes would cost more than they save.
FEWEST_PAGES_FOR_READERS = 4
PIPE_BYTES = 1 << 20


def csv_quoted(cells: list[str], delimiter: str) -> list[str]:
    """A page of cells as `csv.writer` quotes them (QUOTE_MINIMAL: in quotes, quotes doubled,
    when a cell holds the delimiter, a quote or a line break), for the JSON cells that SQLite
    left to Python: at once where all of them or none need quoting (a page of breakdowns, or
    of `{}`), else cell by cell."""
    page = "\x00".join(cells)
    if not any(mark in page for mark in ('"', delimiter, "\n", "\r")):
        return cells
    if sum(map(contains, cells, repeat('"'))) == len(cells) and "\x00" not in page.replace("\x00", "", len(cells) - 1):
        return ('"' + page.replace('"', '""').replace("\x00", '"\x00"') + '"').split("\x00")
    return ['"' + cell.replace('"', '""') + '"' if any(mark in cell for mark in ('"', delimiter, "\n", "\r")) else cell
            for cell in cells]


class PageShape:
    """How the rows of an export's SELECT become the text of a page (see `page_text`)."""

    def __init__(self, form: str, json_at: list[int], layout: Layout, delimiter: str, postgres: bool) -> None:
        self.form, self.json_at, self.layout = form, json_at, layout
        self.delimiter, self.postgres = delimiter, postgres

    def page_text(self, rows: list[tuple[Any, ...]]) -> str:
        """The text of a page in the file. The rows end in the lead's id; for "csv" on
        SQLite and for "json" the database wrote the text around the JSON columns, which
        `layout` lays out here; for "csv" on PostgreSQL the cells, which `csv.writer` quotes."""
        columns: list[Sequence[Any]] = list(zip(*rows))
        columns.pop()
        csv_form = self.form == "csv"
        for number in self.json_at:  # the lead's JSON columns are NOT NULL
            laid = self.layout(columns[number])
            columns[number] = csv_quoted(laid, self.delimiter) if csv_form and not self.postgres else laid
        if csv_form and self.postgres:
            text = io.StringIO()
            csv.writer(text, delimiter=self.delimiter).writerows(zip(*columns))
            return text.getvalue()
        lines = map("".join, zip(*columns))
        return "\r\n".join(lines) + "\r\n" if csv_form else ",\n".join(lines)


def range_pages(fetch: Fetch, sql: str, period: Sequence[Any], first: int, last: int, chunk: int,
                shape: PageShape) -> Iterator[tuple[int, str]]:
    """The pages of the leads with ids in [first, last]: `sql` takes (after, last, *period)
    and ends in LIMIT `chunk`."""
    after = first - 1
    while True:
        rows = fetch(sql, [after, last, *period])
        if rows:
            after = rows[-1][-1]
            yield len(rows), shape.page_text(rows)
        if len(rows) < chunk:
            return


def windows(first: int, last: int, leads: int, chunk: int) -> list[tuple[int, int]]:
    """Ranges of ids that hold about `chunk` leads each, were the ids spread evenly
    (`range_pages` pages any that hold more)."""
    span = chunk * max(1, (last - first + 1) // max(leads, 1))
    return [(start, min(start + span - 1, last)) for start in range(first, last + 1, span)]


def pages_from_readers(path: str, sql: str, period: Sequence[Any], parts: list[tuple[int, int]], chunk: int,
                       shape: PageShape, readers: int, fetch: Fetch) -> Iterator[tuple[int, bytes | bytearray]]:
    """The pages of every window in `parts`, in order, as UTF-8: reader k of `readers`
    child processes formats windows k, k + readers, ...; each page is taken from its reader
    in turn. The readers are stopped if this generator is left early, and stop themselves
    if this process dies. Where no process can be started, the pages are read here by
    `fetch`: slower, the same."""
    context = start_context()
    channels: list[Any] = []
    children: list[Any] = []
    try:
        try:
            with stderr_for_children():
                for number in range(readers):
                    taking, giving = context.Pipe(duplex=False)
                    channels.append(taking)
                    _widened(taking)
                    children.append(context.Process(
                        target=_read_in_child, name=f"triage export reader {number + 1}", daemon=True,
                        args=(giving, path, sql, list(period), parts[number::readers], chunk, shape, os.getpid())))
                    children[-1].start()
                    giving.close()
        except (OSError, ValueError):
            for leads, text in range_pages(fetch, sql, period, parts[0][0], parts[-1][1], chunk, shape):
                yield leads, text.encode()
            return
        for turn in range(len(parts)):
            channel = channels[turn % readers]
            while True:
                try:
                    leads, size = _HEADER.unpack(_read(channel.fileno(), _HEADER.size))
                    if leads == _WINDOW_DONE:
                        break
                    page = _read(channel.fileno(), size)
                except (EOFError, OSError):
                    children[turn % readers].join(1)
                    code = children[turn % readers].exitcode
                    raise DatabaseError(f"the process reading the leads stopped (exit code {code})") from None
                if leads == _FAILED:
                    raise DatabaseError(page.decode())
                yield leads, page
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join(5)
        for channel in channels:
            channel.close()


def _read(pipe: int, size: int) -> bytearray:
    """`size` bytes from `pipe`, read straight into the page (a `Connection`'s messages
    are copied three times on the way in: a gigabyte of JSON costs seconds)."""
    page = bytearray(size)
    view = memoryview(page)
    got = 0
    while got < size:
        read = os.readv(pipe, [view[got:]])
        if not read:
            raise EOFError
        got += read
    return page


def _write(pipe: int, leads: int, page: bytes) -> None:
    view = memoryview(_HEADER.pack(leads, len(page)))
    for view in (view, memoryview(page)):
        while view:
            view = view[os.write(pipe, view):]


def _widened(channel: Any) -> None:
    """A pipe that holds a page or so at once (Linux): a reader's page passes in a few
    system calls instead of fifty."""
    try:
        fcntl.fcntl(channel.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:
        pass


def _read_in_child(channel: Any, path: str, sql: str, period: list[Any], parts: list[tuple[int, int]], chunk: int,
                   shape: PageShape, parent: int) -> None:
    end_with(parent)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        connection.execute("PRAGMA query_only = 1")

        def fetch(query: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
            return connection.execute(query, parameters).fetchall()

        for first, last in parts:
            for leads, text in range_pages(fetch, sql, period, first, last, chunk, shape):
                _write(channel.fileno(), leads, text.encode())
            _write(channel.fileno(), _WINDOW_DONE, b"")
    except sqlite3.Error as exc:
        _failed(channel, f"the database failed: {exc}")
    except Exception as exc:  # anything else still reaches the user as one line
        _failed(channel, f"exporting the leads failed: {type(exc).__name__}: {exc}")


def _failed(channel: Any, problem: str) -> None:
    _write(channel.fileno(), _FAILED, problem.encode())
