"""An export of leads, as CSV, CSV for German Excel, XLSX and JSON, imported into a fresh
database gives back every lead with every field it had."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from itertools import cycle

import pytest
from openpyxl import load_workbook

from storage import LeadRepository, open_database
from triage.domain.models import Channel, Credit, Interest, LeadData
from triage.services import new_lead
from logins import main_as

FIELDS = ("salutation", "first_name", "last_name", "email", "phone", "company", "job_title", "country", "channel",
          "interest", "existing_customer", "creditworthiness", "emails_opened", "emails_clicked", "pages_visited",
          "forms_filled", "notes", "external_id", "extra")
PHONES = ["+44(0)1414960203", "+49 (0)30 1234-567", "0049301234567", "+31 20 794 1234", "-", "+1 (212) 555-0100",
          "=1+2", "030 1234567", ""]
NAMES = [("=HYPERLINK(\"http://evil\",\"klick\")", "Evil"), ("Jörg", "Weiß-Müller"), ("@sum", "-Minus"),
         ("Anna", "Österreicher"), ("+plus", "de Vries"), ("Zoë", "Ĳsselmeer"), ("Ulrike", "Straße"),
         ("\tTab", "Groß"), ("Bram", "van 't Hof")]
NOTES = ["Rückruf bitte\nab 14 Uhr", "line one\r\nline two, with comma; and semicolon", "=cmd|' /C calc'!A0",
         "- erst nächste Woche", "", "Größe: 50 Mitarbeiter", 'Sagte "später"', "_x000D_ is literal", "\u00a0x"]


def _leads():
    moment = datetime(2026, 10, 1, 9, 30, 12, 345678, tzinfo=timezone.utc)
    leads = []
    channels, interests, credits = cycle(Channel), cycle(Interest), cycle(Credit)
    for number in range(27):
        first, last = NAMES[number % len(NAMES)]
        data = LeadData(
            salutation=["Frau", "Herr", "Mevrouw", "De heer", "Ms", ""][number % 6],
            first_name=first, last_name=last,
            email="" if number % 4 == 0 else f"Lead{number}@Firma-{number}.de",
            phone=PHONES[number % len(PHONES)],
            company=["Müller & Söhne GmbH", "+cmd|' /C calc'!A0", "Bouw B.V.", "", "Acme; Ltd."][number % 5],
            job_title=["Geschäftsführerin", "Inkoper", "", "-Head of IT", "CTO"][number % 5],
            country=["DE", "NL", "GB", "AT", ""][number % 5],
            channel=next(channels), interest=next(interests), creditworthiness=next(credits),
            existing_customer=number % 3 == 0,
            emails_opened=number, emails_clicked=number % 4, pages_visited=number * 3, forms_filled=number % 2,
            notes=NOTES[number % len(NOTES)],
            external_id="" if number % 5 == 1 else f"HS-{number:05d}",
            extra={} if number % 2 else {"Favourite colour": "blau", "Straße": "Hauptstr. 1", "Formel": "=1+1"},
        )
        leads.append(new_lead(data, created_at=moment - timedelta(days=number, microseconds=number * 1001)))
    return leads


@pytest.fixture
def exported(tmp_path):
    url = "sqlite:///" + str(tmp_path / "source.db")
    repo = LeadRepository(open_database(url))
    repo.add_leads(_leads())
    return url, list(repo.list_leads())


def run(db, *args):
    out = io.StringIO()
    return main_as("marketing", ["--db", db, *args], out=out), out.getvalue()


def _fields(lead):
    return {name: getattr(lead, name) for name in FIELDS}


@pytest.mark.parametrize("fmt, options", [
    ("csv", []), ("csv", ["--excel", "de"]), ("csv", ["--delimiter", "tab"]), ("xlsx", []), ("json", []),
])
def test_every_field_of_every_lead_comes_back(exported, tmp_path, fmt, options):
    source, originals = exported
    path = tmp_path / f"leads.{fmt}"
    code, out = run(source, "export", "leads", "-o", str(path), *options)
    assert code == 0 and f"exported {len(originals)} rows" in out
    target = "sqlite:///" + str(tmp_path / "fresh.db")
    code, out = run(target, "import", str(path))
    assert code == 0, out
    assert out.splitlines()[-1] == f"imported {len(originals)}, merged 0, rejected 0"
    assert "columns not mapped" not in out  # every column is a field, or triage's own
    assert "columns not imported (triage keeps its own): id, score, stage, owner" in out
    again = list(LeadRepository(open_database(target)).list_leads())
    # exactly, XLSX too: triage keeps times to the millisecond, as a spreadsheet does
    assert [_fields(lead) for lead in again] == [_fields(lead) for lead in originals]
    # and importing the export once more changes nothing, the leads without an email too
    before = [lead.model_dump() for lead in again]
    assert run(target, "import", str(path))[1].splitlines()[-1] == f"imported 0, merged {len(originals)}, rejected 0"
    assert [lead.model_dump() for lead in LeadRepository(open_database(target)).list_leads()] == before


def test_csv_neutralises_formulas_and_german_excel_gets_semicolons(exported, tmp_path):
    source, originals = exported
    path = tmp_path / "leads.csv"
    assert run(source, "export", "leads", "-o", str(path), "--excel", "de")[0] == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["first_name"] == "'=HYPERLINK(\"http://evil\",\"klick\")" and rows[0]["phone"] == "'+44(0)1414960203"
    assert rows[1]["company"] == "'+cmd|' /C calc'!A0" and rows[2]["last_name"] == "'-Minus"
    assert rows[0]["created_at"] == "2026-10-01T09:30:12.345000+00:00"
    assert rows[0]["existing_customer"] == "true" and rows[0]["emails_opened"] == "0"


def test_balance_capacity_has_a_decimal_comma_for_german_excel(tmp_path):
    from triage.domain.models import Role, TeamMember

    url = "sqlite:///" + str(tmp_path / "team.db")
    repo = LeadRepository(open_database(url))
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    repo.add_team_member(TeamMember(login="anna", name="Anna", capacity=0.5))
    out = io.StringIO()
    assert main_as("lena", ["--db", url, "export", "balance", "-o", "-", "--excel", "nl"], out=out) == 0
    [anna] = [row for row in csv.DictReader(io.StringIO(out.getvalue()), delimiter=";") if row["rep"] == "anna"]
    assert anna["capacity"] == "0,5"
    out = io.StringIO()
    assert main_as("lena", ["--db", url, "export", "balance", "-o", "-"], out=out) == 0
    assert "0.5" in out.getvalue()


def test_xlsx_cells_are_typed_with_a_frozen_header_a_filter_and_widths(exported, tmp_path):
    source, originals = exported
    path = tmp_path / "leads.xlsx"
    assert run(source, "export", "leads", "-o", str(path))[0] == 0
    sheet = load_workbook(path).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    first = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert first["phone"].value == "+44(0)1414960203" and first["phone"].data_type == "s"
    assert first["first_name"].value == "=HYPERLINK(\"http://evil\",\"klick\")" and first["first_name"].data_type == "s"
    assert first["emails_opened"].data_type == "n" and first["pages_visited"].value == 0
    assert first["score"].data_type == "n" and first["id"].value == 1
    assert first["existing_customer"].value is True
    assert first["created_at"].is_date and first["created_at"].value == datetime(2026, 10, 1, 9, 30, 12, 345000)
    assert first["handed_over_at"].is_date
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(originals) + 1}"
    widths = {name: sheet.column_dimensions[sheet.cell(1, index).column_letter].width
              for index, name in enumerate(header, 1)}
    assert widths["company"] > widths["country"] >= 6 and widths["notes"] <= 61


def test_json_datetimes_are_iso_with_t(exported):
    source, _ = exported
    code, out = run(source, "export", "leads", "-o", "-", "--format", "json")
    first = json.loads(out)[0]
    assert first["created_at"] == "2026-10-01T09:30:12.345000+00:00" and "T" in first["updated_at"]
    assert first["extra"] == {"Favourite colour": "blau", "Straße": "Hauptstr. 1", "Formel": "=1+1"}
    assert first["channel"] == "web_form" and first["existing_customer"] is True


def test_delimiter_and_excel_are_for_csv_only(exported, tmp_path):
    source, _ = exported
    with pytest.raises(SystemExit) as caught:
        run(source, "export", "leads", "-o", str(tmp_path / "x.json"), "--excel", "de")
    assert caught.value.code == 2
    with pytest.raises(SystemExit):
        run(source, "export", "leads", "-o", "-", "--delimiter", "x")
