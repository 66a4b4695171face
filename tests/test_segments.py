"""`triage export segments`: the leads marketing nurtures, new apart from returned ones."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from logins import main_as
from storage import LeadRepository, open_database
from triage.domain.models import LeadData, ReturnDecision, Role, Stage, TeamMember
from triage.services import Services, new_lead


@pytest.fixture
def db(tmp_path):
    url = "sqlite:///" + str(tmp_path / "segments.db")
    repo = LeadRepository(open_database(url))
    repo.add_leads([
        new_lead(LeadData(first_name="Nora", last_name="Neu", email="nora@neu.de"), stage=Stage.NEW),
        new_lead(LeadData(first_name="Paul", last_name="Pool", email="paul@pool.de")),
        new_lead(LeadData(first_name="Sara", last_name="Sal", email="sara@sal.de")),
        new_lead(LeadData(first_name="Dirk", last_name="Dis", email="dirk@dis.de")),
        new_lead(LeadData(first_name="=cmd", last_name="Mql", email="mona@mql.de")),
    ])
    for login, role in (("lena", Role.LEAD), ("anna", Role.REP), ("rita", Role.BOARD), ("mia", Role.MARKETING)):
        repo.add_team_member(TeamMember(login=login, name=login.title(), role=role))
    anna = Services.open(repo, "anna").decisions
    anna.accept(3)
    anna.return_lead(3, ReturnDecision(reason="contract", path="nurture", contract_until="2027-03-31"))
    anna.return_lead(4, ReturnDecision(reason="no_fit", path="disqualify"))
    anna.return_lead(5, ReturnDecision(reason="not_ready", path="nurture", note="call in spring"))
    return url


def export(db, *args, login="mia"):
    out = io.StringIO()
    return main_as(login, ["--db", db, "export", "segments", *args], out=out), out.getvalue()


def test_new_leads_apart_from_returned_ones_with_reason_and_stage_reached(db):
    code, out = export(db, "-o", "-", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [(row["segment"], row["lead_id"]) for row in rows] == [("new", 1), ("returned", 3), ("returned", 5)]
    new, contract, not_ready = rows
    assert new["reached"] == new["return_reason"] == new["returned_by"] == "" and new["email"] == "nora@neu.de"
    assert (contract["reached"], contract["return_reason"], contract["returned_by"]) == ("sal", "contract", "anna")
    assert "contract until 2027-03-31" in contract["return_note"]
    assert (not_ready["reached"], not_ready["return_reason"], not_ready["return_note"]) == (
        "mql", "not_ready", "call in spring")
    assert not_ready["returned_at"].startswith("20") and "T" in not_ready["returned_at"]


def test_a_lead_handed_over_again_leaves_its_segment(db):
    Services.open(LeadRepository(open_database(db)), "mia").decisions.recycle(5)
    rows = json.loads(export(db, "-o", "-", "--format", "json")[1])
    assert [row["lead_id"] for row in rows] == [1, 3]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_every_format_and_a_team_lead_may_export_them(db, tmp_path, fmt):
    path = tmp_path / f"segments.{fmt}"
    code, out = export(db, "-o", str(path), login="lena")
    assert code == 0 and f"exported 3 rows (segments, {fmt})" in out
    if fmt == "csv":
        read = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert read[2]["first_name"] == "'=cmd"  # neutralised for a spreadsheet
    elif fmt == "json":
        read = json.loads(path.read_text(encoding="utf-8"))
    else:
        values = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
        read = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
        assert read[2]["first_name"] == "=cmd"
    assert [row["segment"] for row in read] == ["new", "returned", "returned"]


@pytest.mark.parametrize("login, says", [("anna", "exports are for team leads"),
                                         ("rita", "the nurture segments are for marketing and team leads")])
def test_reps_and_the_review_board_may_not(db, login, says, capsys, tmp_path):
    path = tmp_path / "segments.csv"
    assert export(db, "-o", str(path), login=login)[0] == 1
    assert says in capsys.readouterr().err
    assert not path.exists()


def test_the_period_is_by_creation_for_new_leads_and_by_return_for_returned_ones(db):
    from datetime import date, timedelta

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert json.loads(export(db, "-o", "-", "--format", "json", "--since", tomorrow)[1]) == []
    assert len(json.loads(export(db, "-o", "-", "--format", "json", "--until", tomorrow)[1])) == 3
