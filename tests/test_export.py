"""`triage export`: each kind and format read back, formulas neutralised, dates filtered."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from storage import LeadRepository, open_database
from triage.files.exporting import neutralise
from triage.domain.models import LeadData, ReturnDecision, Role, TeamMember
from triage.services import Services, new_lead
from logins import main_as


@pytest.fixture
def db(tmp_path):
    url = "sqlite:///" + str(tmp_path / "export.db")
    repo = LeadRepository(open_database(url))
    repo.add_leads([
        new_lead(LeadData(first_name="=HYPERLINK(\"http://evil\")", last_name="Evil", email="evil@firma.de",
                          company="+cmd|' /C calc'!A0", channel="event")),
        new_lead(LeadData(first_name="Anna", last_name="Müller", email="anna@acme.de", company="Acme GmbH")),
        new_lead(LeadData(first_name="Bram", last_name="de Vries", email="bram@bouw.nl", company="@Bouw")),
    ])
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD), TeamMember(login="anna", name="Anna"),
                   TeamMember(login="rita", name="Rita", role=Role.BOARD),
                   TeamMember(login="marketing", name="Marketing", role=Role.MARKETING)):
        repo.add_team_member(member)
    anna = Services.open(repo, "anna")
    anna.decisions.return_lead(1, ReturnDecision(reason="other", path="disqualify", note="-rm -rf"))
    anna.decisions.return_lead(3, ReturnDecision(reason="not_ready", path="nurture"))
    Services.open(repo, "marketing").decisions.recycle(3)
    anna.decisions.accept(2)
    return url


def run(db, *args, login="rita"):
    out = io.StringIO()
    return main_as(login, ["--db", db, *args], out=out), out.getvalue()


def test_neutralise_only_what_a_spreadsheet_would_run():
    assert [neutralise(v) for v in ("=1+1", "+49 30", "-5", "@sum", "\tx", "\rx", "Anna", 7)] == [
        "'=1+1", "'+49 30", "'-5", "'@sum", "'\tx", "'\rx", "Anna", 7]


def test_returned_as_csv_with_bom_neutralised_and_what_became_of_it(db, tmp_path):
    path = tmp_path / "returned.csv"
    code, out = run(db, "export", "returned", "-o", str(path))
    assert code == 0 and "exported 2 rows (returned, csv)" in out
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [row["lead_id"] for row in rows] == ["1", "3"]
    evil, bram = rows
    assert evil["name"] == "'=HYPERLINK(\"http://evil\") Evil" and evil["note"] == "'-rm -rf"
    assert (evil["reason"], evil["path"], evil["returned_by"], evil["stage_now"]) == ("other", "disqualify", "anna", "disqualified")
    assert bram["stage_now"] == "mql" and "recycle by marketing" in bram["afterwards"]


def test_leads_as_json_carry_every_field(db, tmp_path):
    code, out = run(db, "export", "leads", "-o", "-", "--format", "json")
    data = json.loads(out)
    assert [lead["id"] for lead in data] == [1, 2, 3]
    assert {"stage", "owner", "score", "version", "rules_version", "overrides", "handed_over_at"} <= set(data[0])
    assert data[1]["stage"] == "sal" and data[1]["owner"] == "anna"


def test_suppression_lists_the_leads_sales_is_working(db, tmp_path):
    code, out = run(db, "export", "suppression", "-o", "-")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["email"], row["stage"], row["owner"]) for row in rows] == [("anna@acme.de", "sal", "anna")]


def test_balance_as_xlsx_read_back(db, tmp_path):
    path = tmp_path / "balance.xlsx"
    assert run(db, "export", "balance", "-o", str(path))[0] == 0
    sheet = load_workbook(path).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("rep", "name", "role")
    assert {row[0] for row in values[1:]} == {"lena", "anna"}


def test_xlsx_cells_are_text_not_formulas_and_carry_no_apostrophe(db, tmp_path):
    path = tmp_path / "leads.xlsx"
    assert run(db, "export", "leads", "-o", str(path))[0] == 0
    sheet = load_workbook(path).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    evil = {name: cell for name, cell in zip(header, sheet[2])}
    assert evil["first_name"].value == "=HYPERLINK(\"http://evil\")" and evil["first_name"].data_type == "s"
    assert evil["company"].value == "+cmd|' /C calc'!A0" and evil["company"].data_type == "s"


def test_date_filters(db):
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    today = datetime.now(timezone.utc).date().isoformat()
    assert json.loads(run(db, "export", "returned", "-o", "-", "--format", "json", "--since", tomorrow)[1]) == []
    assert len(json.loads(run(db, "export", "returned", "-o", "-", "--format", "json", "--until", today)[1])) == 2


def test_a_rep_may_not_export_and_bad_formats_are_usage_errors(db, capsys):
    assert run(db, "export", "leads", "-o", "-", login="anna") == (1, "")
    assert "exports are for team leads and the review board" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        run(db, "export", "leads", "-o", "-", "--format", "xlsx")
    assert caught.value.code == 2
    with pytest.raises(SystemExit):
        run(db, "export", "leads", "-o", "leads.pdf")


@pytest.mark.parametrize("kind, rows", [("returned", 2), ("leads", 3), ("suppression", 1), ("balance", 2)])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_every_kind_in_every_format_reads_back(db, tmp_path, kind, rows, fmt):
    path = tmp_path / f"{kind}.{fmt}"
    code, out = run(db, "export", kind, "-o", str(path))
    assert code == 0 and f"exported {rows} rows ({kind}, {fmt})" in out
    if fmt == "csv":
        read = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    elif fmt == "json":
        read = json.loads(path.read_text(encoding="utf-8"))
    else:
        values = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
        read = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    assert len(read) == rows
