"""The leads export formatted by the database (`export_lead_pages`) writes the very bytes
that the row-by-row writers (`write_csv`, `write_json` over `export_rows`) write, on SQLite
and on PostgreSQL, for values that try every branch of the formatting."""

import csv
import io
import multiprocessing
import threading
from datetime import datetime, timezone

import peewee
import pytest

from storage import LeadRepository, export_pages, open_database
from storage.tables import JsonField, LeadRow
from triage.domain.models import LeadData, Role, TeamMember
from triage.files.exporting import (EXCEL_STYLES, FORMULA_STARTS, CsvStyle, json_text, json_texts, write_csv, write_csv_text, write_json,
                                    write_json_text)
from triage.services import Services, new_lead

ODD_TEXTS = ["=1+1", "+49 30 1234", "-5", "@sum", "\tTab", "\rCR", "'quoted'", 'say "hi"', "a,b;c", "line\nbreak",
             "Müller ß €", "Zeit: 9:30, Raum 2", "\x1b[31mred\x1b[0m", "[bold]x[/]", "back\\slash", "", " lead space", "日本"]


def _leads():
    on_the_second = datetime(2026, 11, 24, 9, 30, 0, tzinfo=timezone.utc)
    with_millis = datetime(2026, 11, 24, 9, 30, 0, 123000, tzinfo=timezone.utc)
    for number, text in enumerate(ODD_TEXTS):
        data = LeadData(first_name=text, last_name=ODD_TEXTS[-1 - number], email=f"lead{number}@firma.de",
                        company=text, notes=text, phone=text if number % 2 else "", job_title=text,
                        external_id=text, existing_customer=bool(number % 2), emails_opened=number,
                        extra={"utm_source": text, "zeile": str(number)} if number % 3 else {})
        yield new_lead(data, created_at=with_millis if number % 2 else on_the_second,
                       handed_over_at=None if number % 4 == 0 else with_millis, owner="anna" if number % 5 == 0 else None)


def _filled(url):
    repo = LeadRepository(open_database(url))
    repo.add_leads(_leads())
    repo.add_team_member(TeamMember(login="rita", name="Rita", role=Role.BOARD))
    repo.add_team_member(TeamMember(login="anna", name="Anna"))
    from triage.domain.models import ReturnDecision
    Services.open(repo, "anna").decisions.return_lead(2, ReturnDecision(reason="other", path="disqualify", note="=x"))
    return Services.open(repo, "rita").transfer


def _both(transfer, since=None, until=None):
    styles = [CsvStyle(), EXCEL_STYLES["de"], CsvStyle("\t")]
    for style in styles:
        columns, rows = transfer.export_rows("leads", since, until)
        before = io.StringIO()
        write_csv(before, columns, rows, style)
        columns, pages = transfer.export_lead_pages("csv", since, until, style.delimiter)
        after = io.StringIO()
        write_csv_text(after, columns, pages, style)
        assert after.getvalue() == before.getvalue()
    columns, rows = transfer.export_rows("leads", since, until)
    before = io.StringIO()
    write_json(before, columns, rows)
    columns, pages = transfer.export_lead_pages("json", since, until)
    after = io.StringIO()
    write_json_text(after, pages)
    assert after.getvalue() == before.getvalue()
    return before.getvalue()


def test_the_same_bytes_on_sqlite(tmp_path):
    transfer = _filled("sqlite:///" + str(tmp_path / "pages.db"))
    text = _both(transfer)
    assert "\\u001b[31mred" in text and '"Müller ß €"' in text and "'=x" not in text
    assert _both(transfer, until=datetime(2000, 1, 1, tzinfo=timezone.utc)) == "[\n]\n"


def test_the_same_bytes_on_postgresql(pg_url):
    _both(_filled(pg_url))


@pytest.mark.parametrize("chunk", [1, 4, 5000])
def test_pages_of_any_size_give_every_lead_once(tmp_path, chunk):
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "chunks.db")))
    repo.add_leads(_leads())
    pages = list(repo.export_lead_text("csv", ("=",), json_texts, chunk=chunk))
    ids = [int(row[0]) for row in csv.reader(io.StringIO(b"".join(text for _, text in pages).decode(), newline=""))]
    assert ids == list(range(1, len(ODD_TEXTS) + 1)) and sum(leads for leads, _ in pages) == len(ids)
    assert ids == list(range(1, len(ODD_TEXTS) + 1))


TRICKY_JSON = ['{}', '[]', '[{"reason":"base","points":20},{"reason":"no phone","points":-3}]', '{"a":"x,y"}',
               '{"a:b":1}', '{"a":1.5}', '{"a":1e5}', '{"a":-0}', '{"a": 1, "b": [1, 2]}', '{"a":"say \\"hi\\""}',
               '{"a":"\\u00fc"}', '[true,false,null]', '{"k":"Müller ß €"}', '[1E2]', '{"a":NaN}',
               '[{"a":"x},{y"}]', '[{"a":1},{"b":"},{"},{"c":-0}]', '[{"a":1},{"b":"x y"},{"c":[1,2]}]']


@pytest.mark.parametrize("text", TRICKY_JSON)
def test_a_page_of_json_is_laid_out_as_each_text_alone(text):
    """Compact JSON laid out a page at a time: texts with separators in strings, escapes,
    real numbers, -0, spaces or NaN are worked out one by one, in a page of plain ones."""
    page = ['{"reason":"base"}'] * 70 + [text] + ['[]'] * 70
    assert json_texts(page) == [json_text(one) for one in page]
    assert json_texts([text]) == [json_text(text)]
    pieces = ['[{"reason":"base","points":20},{"reason":"x","points":5}]'] * 70
    assert json_texts(pieces + [text] + pieces) == [json_text(one) for one in pieces + [text] + pieces]


TEXT_COLUMNS = [field.column_name for field in LeadRow._meta.sorted_fields
                if isinstance(field, (peewee.CharField, peewee.TextField)) and not isinstance(field, JsonField)]


def _many(path, leads=60):
    """A SQLite file of `leads` odd leads with gaps in their ids, the last lead with an odd
    text in every text column (the enums and the rules version too, as an import of
    anything could leave them)."""
    repo = LeadRepository(open_database("sqlite:///" + str(path)))
    repo.add_leads(lead for _ in range(leads // len(ODD_TEXTS) + 1) for lead in _leads())
    last = repo.db.execute_sql('SELECT max("id") FROM "lead"').fetchone()[0]
    with repo.db.atomic():
        repo.db.execute_sql('DELETE FROM "lead" WHERE "id" IN (3, 4, 5, 11, 40)')
        for number, column in enumerate(TEXT_COLUMNS):
            repo.db.execute_sql(f'UPDATE "lead" SET "{column}" = ? WHERE "id" = ?',
                                [ODD_TEXTS[number % 12] + '"\n\r,;\t\x07=', last])
    return repo


def _pages(repo, form, readers, chunk, delimiter=",", since=None, until=None):
    """The pages joined as the file joins them (JSON's by a comma and a line break)."""
    return (b",\n" if form == "json" else b"").join(
        text for _, text in repo.export_lead_text(form, FORMULA_STARTS, json_texts, delimiter, since, until,
                                                  chunk=chunk, readers=readers))


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_two_readers_write_what_one_writes(tmp_path, chunk):
    """Two processes reading every other window of ids give the very bytes of one reading
    them all: every lead once, in id order, the period kept, whatever the page size."""
    repo = _many(tmp_path / "two.db")
    since, until = datetime(2026, 11, 24, 9, 30, 0, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)
    for form, delimiter in [("csv", ","), ("csv", ";"), ("csv", "\t"), ("json", ",")]:
        for period in [(None, None), (since, until)]:
            one = _pages(repo, form, 1, chunk, delimiter, *period)
            assert _pages(repo, form, 2, chunk, delimiter, *period) == one
            assert _pages(repo, form, 3, chunk, delimiter, *period) == one
    ids = [int(row[0]) for row in csv.reader(io.StringIO(_pages(repo, "csv", 2, chunk).decode(), newline=""))]
    assert ids == [number for number in range(1, len(ids) + 6) if number not in (3, 4, 5, 11, 40)]


def test_every_text_column_odd_is_written_as_the_row_by_row_writers_write_it(tmp_path):
    """Quotes, line breaks, the delimiters, formula starts and control characters in every
    text column: the database's pages, read by one process or two, are the bytes of
    `write_csv` and `write_json` over `export_rows`."""
    repo = _many(tmp_path / "odd.db")
    repo.add_team_member(TeamMember(login="rita", name="Rita", role=Role.BOARD))
    transfer = Services.open(repo, "rita").transfer
    for style in [CsvStyle(), EXCEL_STYLES["de"], CsvStyle("\t")]:
        columns, rows = transfer.export_rows("leads")
        before = io.StringIO()
        write_csv(before, columns, rows, style)
        for readers in (1, 2):
            after = io.StringIO()
            write_csv_text(after, columns, repo.export_lead_text("csv", FORMULA_STARTS, json_texts, style.delimiter,
                                                                 chunk=4, readers=readers), style)
            assert after.getvalue() == before.getvalue()
    columns, rows = transfer.export_rows("leads")
    before = io.StringIO()
    write_json(before, columns, rows)
    for readers in (1, 2):
        after = io.StringIO()
        write_json_text(after, repo.export_lead_text("json", FORMULA_STARTS, json_texts, chunk=4, readers=readers))
        assert after.getvalue() == before.getvalue()
    csv_text = _pages(repo, "csv", 2, 4).decode()
    assert '"\'=1+1""\n\r,;\t\x07="' in csv_text and '"\'+49 30 1234""\n' in csv_text
    assert '"=1+1\\"\\n\\r,;\\t\\u0007="' in after.getvalue()


def test_a_file_in_utf8_gets_the_pages_as_they_are(tmp_path):
    """`write_csv_text` into a UTF-8 file writes the pages' bytes under the text stream,
    after the byte-order mark and the header it holds: the file reads back as text."""
    repo = _many(tmp_path / "file.db")
    columns = ["id", "rest"]
    path = tmp_path / "leads.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        count = write_csv_text(stream, columns, repo.export_lead_text("csv", FORMULA_STARTS, json_texts, chunk=5))
    assert path.read_bytes() == "\ufeffid,rest\r\n".encode() + _pages(repo, "csv", 1, 5)
    assert count == repo.db.execute_sql('SELECT count(*) FROM "lead"').fetchone()[0]
    with open(tmp_path / "leads.json", "w", encoding="utf-8", newline="") as stream:
        write_json_text(stream, repo.export_lead_text("json", FORMULA_STARTS, json_texts, chunk=5))
    assert (tmp_path / "leads.json").read_bytes() == b"[\n" + _pages(repo, "json", 1, 5) + b"\n]\n"


def test_readers_started_fresh_beside_other_threads_write_the_same(tmp_path):
    """With another thread running (the app's workers) the readers are fresh interpreters,
    not forks: the same bytes."""
    repo = _many(tmp_path / "spawn.db")
    one = _pages(repo, "csv", 1, 6, ";")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _pages(repo, "csv", 2, 6, ";") == one
    finally:
        stop.set()
        other.join()


def test_an_export_left_early_stops_its_readers(tmp_path, monkeypatch):
    """Pipes of one memory page (some 33 KB for each reader to send) hold both readers at a
    page not yet taken, so both are still running when the export is left."""
    monkeypatch.setattr(export_pages, "PIPE_BYTES", 4096)
    repo = _many(tmp_path / "early.db")
    others = set(multiprocessing.active_children())  # a scoring pool of an earlier test, say
    pages = repo.export_lead_text("json", FORMULA_STARTS, json_texts, chunk=2, readers=2)
    leads, text = next(pages)
    assert leads == 2 and text.startswith(b'{"id": 1, ')
    readers = set(multiprocessing.active_children()) - others
    assert len(readers) == 2 and all(reader.is_alive() for reader in readers)
    pages.close()
    assert not set(multiprocessing.active_children()) - others
