"""The leads export formatted by the database (`export_lead_pages`) writes the very bytes
that the row-by-row writers (`write_csv`, `write_json` over `export_rows`) write, on SQLite
and on PostgreSQL, for values that try every branch of the formatting."""

import csv
import io
from datetime import datetime, timezone

import pytest

from storage import LeadRepository, open_database
from triage.domain.models import LeadData, Role, TeamMember
from triage.files.exporting import (EXCEL_STYLES, CsvStyle, json_text, json_texts, write_csv, write_csv_text, write_json,
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
    ids = [int(row[0]) for row in csv.reader(io.StringIO("".join(text for _, text in pages), newline=""))]
    assert ids == list(range(1, len(ODD_TEXTS) + 1)) and sum(leads for leads, _ in pages) == len(ids)
    assert ids == list(range(1, len(ODD_TEXTS) + 1))


TRICKY_JSON = ['{}', '[]', '[{"reason":"base","points":20},{"reason":"no phone","points":-3}]', '{"a":"x,y"}',
               '{"a:b":1}', '{"a":1.5}', '{"a":1e5}', '{"a":-0}', '{"a": 1, "b": [1, 2]}', '{"a":"say \\"hi\\""}',
               '{"a":"\\u00fc"}', '[true,false,null]', '{"k":"Müller ß €"}', '[1E2]', '{"a":NaN}']


@pytest.mark.parametrize("text", TRICKY_JSON)
def test_a_page_of_json_is_laid_out_as_each_text_alone(text):
    """Compact JSON laid out a page at a time: texts with separators in strings, escapes,
    real numbers, -0, spaces or NaN are worked out one by one, in a page of plain ones."""
    page = ['{"reason":"base"}'] * 70 + [text] + ['[]'] * 70
    assert json_texts(page) == [json_text(one) for one in page]
    assert json_texts([text]) == [json_text(text)]
