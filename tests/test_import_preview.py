"""The import preview: the head of a file as the import will store it, by the import's own rules."""

from pathlib import Path

import pytest

from storage import LeadRepository, open_database
from triage.domain.errors import TriageError
from triage.files.import_preview import KEEP, preview
from triage.services import Services

HEADER = "first_name;last_name;email;company;country;notes;favourite colour;Contact owner"
ROWS = [
    "Anna;Müller;anna@acme.de;Acme GmbH;Deutschland;Rückruf bitte;blue;bob",
    "Eva;Ohne;kaputt;Firma;DE;;;",
    ";;;;;;green;",
    "Bram;de Vries;bram@bouw.nl;Bouw B.V.;NL;;red;bob",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def leads_csv(tmp_path):
    return write(tmp_path / "leads.csv", [HEADER, *ROWS])


def test_the_preview_says_which_column_goes_where_and_shows_the_rows_as_stored(leads_csv):
    shown = preview(leads_csv)
    assert shown.fields == {"first_name": "first_name", "last_name": "last_name", "email": "email",
                            "company": "company", "country": "country", "notes": "notes"}
    assert shown.unmapped == ["favourite colour"] and shown.left_out == ["Contact owner"]
    assert (shown.kind, shown.delimiter, shown.problem, shown.more) == ("csv", ";", "", False)
    assert [row.line for row in shown.rows] == [2, 3, 4, 5]
    anna, eva, nobody, bram = shown.rows
    assert anna.values["country"] == "DE" and anna.values["notes"] == "Rückruf bitte"  # converted as stored
    assert anna.values["extra"] == "favourite colour: blue" and anna.error == "" and anna.score is not None
    assert eva.error == "email: 'kaputt' is not an email address (expected name@domain.tld)" and not eva.values
    assert "nothing says who this is" in nobody.error
    assert bram.values["last_name"] == "de Vries" and shown.rejected == 2
    assert shown.shown_fields == ["first_name", "last_name", "email", "company", "country", "notes", "extra"]


def test_only_the_head_is_read(tmp_path):
    path = write(tmp_path / "big.csv", [HEADER, *(f"A{i};B{i};a{i}@x.de;C;DE;;;" for i in range(500))])
    shown = preview(path, rows=20)
    assert len(shown.rows) == 20 and shown.more and shown.rows[-1].line == 21


def test_a_column_given_another_field_takes_it_from_the_column_that_had_it(leads_csv):
    first = preview(leads_csv)
    mapping = first.with_choice("favourite colour", "notes")
    assert mapping == {"notes": KEEP, "favourite colour": "notes"}
    shown = preview(leads_csv, mapping=mapping)
    assert shown.fields["favourite colour"] == "notes" and "notes" not in shown.fields
    assert shown.unmapped == ["notes"]
    assert shown.rows[0].values["notes"] == "blue" and shown.rows[0].values["extra"] == "notes: Rückruf bitte"
    kept = preview(leads_csv, mapping=shown.with_choice("email", KEEP))
    assert "email" in kept.unmapped and "email" not in kept.fields.values()
    assert kept.problem == "" and kept.rows[0].values["extra"].startswith("email: anna@acme.de")


def test_without_a_column_saying_who_a_lead_is_the_preview_says_the_import_refuses(tmp_path):
    path = write(tmp_path / "names.csv", ["first_name;notes", "Anna;hello"])
    shown = preview(path)
    assert "no column for email, last name, company or external id" in shown.problem
    mapping = shown.with_choice("notes", "company")
    assert preview(path, mapping=mapping).problem == ""


@pytest.mark.parametrize("name, content, why", [
    ("missing.csv", None, "no such file"),
    ("empty.csv", b"", "is empty"),
    ("binary.csv", b"\x00\x01\x02garbage\x00", "not a text file"),
])
def test_a_file_that_cannot_be_read_says_why(tmp_path, name, content, why):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TriageError, match=why):
        preview(path)


def test_the_import_with_the_previews_mapping_stores_what_the_preview_showed(leads_csv, tmp_path):
    """The preview and the import agree: the same mapping, the same columns, the same rows."""
    first = preview(leads_csv)
    shown = preview(leads_csv, mapping=first.with_choice("favourite colour", "notes"))
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "p.db")))
    summary = Services.open(repo, "marketing").transfer.import_file(leads_csv, mapping=shown.mapping)
    assert (summary.imported, summary.rejected) == (len(shown.rows) - shown.rejected, shown.rejected)
    assert summary.unknown_columns == shown.unmapped
    stored = {lead.last_name: lead for lead in repo.list_leads()}
    for row in shown.rows:
        if not row.error:
            lead = stored[row.values["last_name"]]
            assert (lead.notes, lead.country, lead.score) == (row.values["notes"], row.values["country"], row.score)
            assert "; ".join(f"{key}: {value}" for key, value in lead.extra.items()) == row.values.get("extra", "")
