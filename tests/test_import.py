"""`triage import`: files as people really have them; nothing lost, nothing doubled."""

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storage import LeadRepository, open_database
from triage.domain.models import Channel, Interest, Stage
from logins import main_as

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["first_name", "last_name", "email", "company", "country", "channel", "interest", "notes"]
ROWS = [
    ["Anna", "Müller", "anna@acme.de", "Acme GmbH", "DE", "web_form", "demo", "Rückruf bitte"],
    ["Bram", "de Vries", "bram@bouw.nl", "Bouw B.V.", "Nederland", "event", "quote", ""],
    ["Jörg", "Weiß", "joerg@stahl.de", "Stahl & Söhne", "Deutschland", "referral", "inquiry", "Größe: 50"],
]


@pytest.fixture
def db(tmp_path):
    return "sqlite:///" + str(tmp_path / "import.db")


def run(db, *args):
    out = io.StringIO()
    return main_as("marketing", ["--db", db, *args], out=out), out.getvalue()


def leads(db):
    return list(LeadRepository(open_database(db)).list_leads())


def write(path, text, encoding="utf-8", newline="\n"):
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def csv_text(delimiter=",", rows=ROWS, header=HEADER):
    return "\n".join(delimiter.join(cells) for cells in [header, *rows]) + "\n"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter_is_detected(db, tmp_path, delimiter):
    path = write(tmp_path / "leads.csv", csv_text(delimiter))
    assert run(db, "import", str(path)) == (0, "imported 3, merged 0, rejected 0\n")
    stored = leads(db)
    assert [(lead.last_name, lead.country) for lead in stored] == [("Müller", "DE"), ("de Vries", "NL"), ("Weiß", "DE")]
    assert all(lead.stage is Stage.MQL and lead.owner is None for lead in stored)
    assert stored[0].interest is Interest.DEMO_REQUEST and stored[0].is_handraiser
    assert stored[0].score > 0 and stored[0].rules_version


@pytest.mark.parametrize("encoding, newline", [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n")])
def test_encodings_and_line_ends(db, tmp_path, encoding, newline):
    path = write(tmp_path / "excel.csv", csv_text(";"), encoding=encoding, newline=newline)
    assert run(db, "import", str(path))[0] == 0
    assert [lead.last_name for lead in leads(db)] == ["Müller", "de Vries", "Weiß"]
    assert leads(db)[2].notes == "Größe: 50" and leads(db)[0].first_name == "Anna"


def test_a_wrong_guess_can_be_overridden_with_encoding(db, tmp_path):
    path = write(tmp_path / "latin.csv", csv_text(";"), encoding="latin-1")
    assert run(db, "import", str(path), "--encoding", "latin-1")[0] == 0
    assert leads(db)[2].last_name == "Weiß"


def test_quoted_fields_with_line_breaks(db, tmp_path):
    path = write(tmp_path / "notes.csv", 'first_name,last_name,email,notes\r\nAnna,Müller,anna@acme.de,"line one\r\nline two, with comma"\r\n',
                 newline="\n")
    assert run(db, "import", str(path))[0] == 0
    assert leads(db)[0].notes == "line one\r\nline two, with comma"


def test_hubspot_export_columns_and_sources(db, tmp_path):
    path = write(tmp_path / "hubspot.csv", (
        "Record ID,First Name,Last Name,Email,Company Name,Country/Region,Original Source,Create Date,"
        "Marketing emails opened,Favourite colour\n"
        "501,Anna,Müller,anna@acme.de,Acme GmbH,Germany,Organic Search,2026-10-01 09:30,4,blue\n"
        "502,Bram,de Vries,bram@bouw.nl,Bouw BV,NL,Carrier Pigeon,2026-10-02,0,\n"
    ))
    code, out = run(db, "import", str(path))
    assert code == 0 and "Favourite colour" in out and "Carrier Pigeon" in out
    anna, bram = leads(db)
    assert (anna.external_id, anna.channel, anna.emails_opened, anna.country) == ("501", Channel.ORGANIC_SEARCH, 4, "DE")
    assert anna.extra == {"Favourite colour": "blue"} and anna.created_at.isoformat().startswith("2026-10-01T09:30")
    assert bram.channel is Channel.OTHER and bram.extra == {"channel": "Carrier Pigeon"}


def test_map_names_other_columns(db, tmp_path):
    path = write(tmp_path / "de.csv", "Vorname;Name;E-Mail-Adresse;Telefon geschäftlich\nAnna;Müller;anna@acme.de;030 1234\n")
    code, _ = run(db, "import", str(path), "--map", "Name=last_name", "--map", "E-Mail-Adresse=email",
                  "--map", "Telefon geschäftlich=phone")
    assert code == 0
    [anna] = leads(db)
    assert (anna.first_name, anna.last_name, anna.email, anna.phone) == ("Anna", "Müller", "anna@acme.de", "030 1234")
    assert run(db, "import", str(path), "--map", "Name=surname")[0] == 1


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\x00\x01\x02binary\x00" * 50, "is not a text file"),
    ("colour,size\nblue,3\n".encode(), "no column for email, last name, company or external id"),
    (b"[1, 2, 3]", "expected an array of objects"),
])
def test_files_that_cannot_be_read_exit_2_and_change_nothing(db, tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert run(db, "import", str(path)) == (2, "")
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert leads(db) == []


def test_a_missing_file_exits_2(db, tmp_path, capsys):
    assert run(db, "import", str(tmp_path / "nope.csv"))[0] == 2
    assert "no such file" in capsys.readouterr().err


def test_invalid_rows_go_unchanged_to_the_rejects_file_with_the_reason(db, tmp_path):
    huge = "x" * 20_000
    path = write(tmp_path / "mixed.csv", csv_text(";", rows=[
        ROWS[0],
        ["Eva", "Ohne", "not-an-email", "Firma", "DE", "", "", ""],
        ["Karl", "Groß", "karl@firma.de", "Firma", "Atlantis", "", "", ""],
        ["Lena", "Lang", "lena@firma.de", "Firma", "DE", "", "", huge],
        ["Max", "Maus", "max@firma.de", "Firma", "DE", "", "maybe", ""],
    ]))
    code, out = run(db, "import", str(path))
    assert code == 1 and out.endswith("imported 1, merged 0, rejected 4\n")
    rejects = (tmp_path / "mixed.csv.rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejects[0] == ";".join(HEADER) + ";line;error"
    assert rejects[1].startswith("Eva;Ohne;not-an-email;Firma;DE;;;;3;email: 'not-an-email' is not an email address")
    assert "country: 'Atlantis' is not a country we know" in rejects[2]
    assert "notes: 20,000 characters long; at most 10,000" in rejects[3] and huge in rejects[3]
    assert "interest: 'maybe' is not an interest" in rejects[4]
    assert [lead.last_name for lead in leads(db)] == ["Müller"]


def test_duplicates_in_the_file_and_in_the_database_are_merged_not_doubled(db, tmp_path):
    first = write(tmp_path / "first.csv", "email,first_name,last_name,phone,emails_clicked\nanna@acme.de,Anna,,,1\n")
    assert run(db, "import", str(first))[1] == "imported 1, merged 0, rejected 0\n"
    second = write(tmp_path / "second.csv", (
        "email,first_name,last_name,phone,emails_clicked\n"
        "ANNA@acme.de,,Müller,,3\n"        # in the database already: fills the last name, raises clicks
        "bram@bouw.nl,Bram,de Vries,,0\n"
        "Bram@Bouw.NL,,,030 99,0\n"        # in this file already: fills the phone
    ))
    assert run(db, "import", str(second))[1] == "imported 1, merged 2, rejected 0\n"
    anna, bram = leads(db)
    assert (anna.first_name, anna.last_name, anna.emails_clicked, anna.version) == ("Anna", "Müller", 3, 2)
    assert (bram.last_name, bram.phone) == ("de Vries", "030 99")
    history = LeadRepository(open_database(db)).history(anna.id)
    assert history[-1].action == "import" and "last_name" in history[-1].note


def test_a_file_name_with_quotes_and_percent_signs_is_recorded_as_it_is(db, tmp_path):
    path = write(tmp_path / "O'Brien's 100% leads; --.csv", csv_text(","))
    assert run(db, "import", str(path))[0] == 0
    assert {lead.updated_by for lead in leads(db)} == {"import O'Brien's 100% leads; --.csv"}


def test_importing_the_same_file_again_changes_nothing(db, tmp_path):
    path = write(tmp_path / "leads.csv", csv_text(","))
    run(db, "import", str(path))
    before = [lead.model_dump() for lead in leads(db)]
    assert run(db, "import", str(path))[1] == "imported 0, merged 3, rejected 0\n"
    assert [lead.model_dump() for lead in leads(db)] == before


def test_json_array_and_json_lines(db, tmp_path):
    array = tmp_path / "leads.json"
    array.write_text(json.dumps([{"email": "a@acme.de", "last_name": "A", "emails_opened": 2},
                                 {"email": "b@acme.de", "last_name": "B", "existing_customer": True}]))
    assert run(db, "import", str(array))[0] == 0
    lines = tmp_path / "leads.jsonl"
    lines.write_text('{"email": "c@acme.de", "last_name": "C"}\n\n{"email": "d@acme.de", "last_name": "D"}\n')
    assert run(db, "import", str(lines))[0] == 0
    assert [(lead.last_name, lead.emails_opened, lead.existing_customer) for lead in leads(db)] == [
        ("A", 2, False), ("B", 0, True), ("C", 0, False), ("D", 0, False)]


def test_xlsx(db, tmp_path):
    import xlsxwriter

    path = tmp_path / "leads.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for row, cells in enumerate([HEADER, *ROWS]):
        sheet.write_row(row, 0, cells)
    book.close()
    assert run(db, "import", str(path)) == (0, "imported 3, merged 0, rejected 0\n")
    assert [lead.company for lead in leads(db)] == ["Acme GmbH", "Bouw B.V.", "Stahl & Söhne"]


def test_markup_and_escape_sequences_are_stored_as_they_are_and_shown_literally(db, tmp_path):
    path = tmp_path / "evil.json"
    path.write_text(json.dumps([{"email": "x@evil.de", "first_name": "[bold]x[/]", "last_name": "\x1b[31mRed",
                                 "company": "[@click=app.quit]Quit[/]"}]))
    assert run(db, "import", str(path))[0] == 0
    [lead] = leads(db)
    assert (lead.first_name, lead.last_name, lead.company) == ("[bold]x[/]", "\x1b[31mRed", "[@click=app.quit]Quit[/]")
    code, out = run(db, "show", str(lead.id))
    assert "[bold]x[/]" in out and "\x1b" not in out and "␛[31mRed" in out


def test_new_mqls_are_pushed_to_the_reps_when_there_is_a_team(db, tmp_path):
    from triage.domain.models import Role, TeamMember

    repo = LeadRepository(open_database(db))
    repo.add_team_member(TeamMember(login="lena", name="Lena", role=Role.LEAD))
    repo.add_team_member(TeamMember(login="anna", name="Anna"))
    repo.add_team_member(TeamMember(login="marketing", name="Marketing", role=Role.MARKETING))
    path = write(tmp_path / "leads.csv", csv_text(","))
    code, out = run(db, "import", str(path))
    assert code == 0 and "assigned 3 new MQLs to the reps" in out
    assert {lead.owner for lead in leads(db)} == {"anna"}
    assert repo.history(1)[-1].action == "assign"


def _children(pid):
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid):
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("reader", ["here", "second process"])
def test_a_process_killed_mid_import_leaves_the_database_as_it_was(db, tmp_path, monkeypatch, reader):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("email,first_name,last_name,company\n")
        for number in range(300_000):
            handle.write(f"lead{number}@firma{number % 97}.de,First{number},Last{number},Firma {number % 97}\n")
    seed = write(tmp_path / "seed.csv", csv_text(","))
    assert run(db, "import", str(seed))[0] == 0
    threshold = "1" if reader == "second process" else str(10 ** 12)
    env = dict(os.environ, TRIAGE_DB=db, TRIAGE_READER_PROCESS_BYTES=threshold)
    process = subprocess.Popen([sys.executable, "-m", "triage.cli", "import", str(path)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal = Path(db.removeprefix("sqlite:///") + "-wal")
    # Well into the file: rows are being written, long before its end.
    _wait_for(lambda: process.poll() is not None or (wal.exists() and wal.stat().st_size > 2_000_000))
    assert process.poll() is None
    children = _children(process.pid)
    assert bool(children) == (reader == "second process")  # the reader (and multiprocessing's resource tracker)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert [lead.last_name for lead in leads(db)] == ["Müller", "de Vries", "Weiß"]
    for child in children:  # the reader notices and stops: no process is left behind
        _wait_for(lambda: not _running(child), seconds=30)


def test_a_big_file_is_read_in_a_second_process_with_the_same_result(tmp_path):
    from triage.services import Services

    rows = [*ROWS, ["Eva", "Ohne", "kaputt", "Firma", "DE", "", "", ""], ["Anna", "", "ANNA@acme.de", "", "", "", "", ""],
            ["Karl", "Groß", "karl@firma.de", "Firma", "DE", "Brieftaube", "demo", ""]]
    path = write(tmp_path / "leads.csv", csv_text(";", rows=rows))
    results = []
    for name, separate, busy in (("here", False, False), ("forked", True, False), ("spawned", True, True)):
        repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / f"{name}.db")))
        done = threading.Event()
        if busy:  # another thread running, as in the app: the readers start as fresh interpreters
            threading.Thread(target=done.wait, daemon=True).start()
        try:
            summary = Services.open(repo, "marketing").transfer.import_file(path, separate_process=separate)
        finally:
            done.set()
        stored = [lead.model_dump(exclude={"handed_over_at", "updated_at", "created_at"}) for lead in repo.list_leads()]
        results.append((summary.line(), summary.unknown_channels, stored))
    assert results[0] == results[1] == results[2]
    assert results[0][0] == "imported 4, merged 1, rejected 1" and results[0][1] == ["Brieftaube"]


def test_a_reader_process_that_fails_is_one_line_and_imports_nothing(tmp_path):
    from triage.domain.errors import TriageError
    from triage.services import Services

    path = write(tmp_path / "leads.csv", csv_text(","))
    repo = LeadRepository(open_database("sqlite:///" + str(tmp_path / "fail.db")))
    service = Services.open(repo, "marketing")
    valid = b"".join(b"lead%d@firma.de,Last\n" % number for number in range(5000))
    path.write_bytes(b"email,last_name\n" + valid + b"a@b.de,\xff\xfe\n")  # not UTF-8, far down the file
    with pytest.raises(TriageError, match="not utf-8"):
        service.transfer.import_file(path, encoding="utf-8", separate_process=True)
    assert list(repo.list_leads()) == []


def test_dates_and_counts_pydantic_does_not_read_take_the_slow_path(db, tmp_path):
    path = write(tmp_path / "slow.csv", (
        "email,last_name,created_at,emails_opened,pages_visited\n"
        "a@acme.de,A,01.10.2026 09:30,\"3,0\",\n"
        "b@acme.de,B,2026-10-02T08:00:00+02:00,2, \n"
        "c@acme.de,C,gestern,1,1\n"
        "d@acme.de,D,,-1,0\n"
    ))
    code, out = run(db, "import", str(path))
    assert code == 1 and out.endswith("imported 2, merged 0, rejected 2\n")
    a, b = leads(db)
    assert (a.created_at.isoformat()[:16], a.emails_opened, a.pages_visited) == ("2026-10-01T09:30", 3, 0)
    assert (b.created_at.isoformat()[:16], b.emails_opened) == ("2026-10-02T06:00", 2)
    rejects = (tmp_path / "slow.csv.rejects.csv").read_text(encoding="utf-8-sig")
    assert "created_at: 'gestern' is not a date" in rejects and "emails_opened: '-1' is not a whole number" in rejects


def test_the_import_record_holds_the_same_rules_as_lead_data():
    """The import validates rows in columns by `LeadRecord`, which takes `LeadData`'s own field
    rules: given the same values, both accept or both refuse, and agree on what they keep."""
    from pydantic import ValidationError

    from triage.files.importing import COLUMNS, RECORD_FIELDS
    from triage.domain.models import LeadData

    base = {name: value for name, value in LeadData().model_dump().items() if name in RECORD_FIELDS}
    cases = [{}, {"email": " anna@acme.de "}, {"email": "anna@acme"}, {"email": "an na@acme.de"}, {"email": "a@b@c.de"},
             {"country": "de"}, {"country": " nl "}, {"country": "DEU"}, {"country": "D1"}, {"emails_opened": -1},
             {"pages_visited": 7}, {"channel": "event"}, {"interest": "demo_request"},
             {"creditworthiness": "B"}, {"creditworthiness": "E"}, {"first_name": "  Anna  "}, {"extra": {"x": "y"}}]
    for case in cases:
        values = {**base, **case}
        try:
            expected = LeadData.model_validate(values).model_dump()
        except ValidationError:
            expected = None
        try:
            columns = COLUMNS.validate_python({name: [value] for name, value in {**values, "created_at": None}.items()})
            got = {name: columns[name][0] for name in expected or {}}
        except ValidationError:
            got = None
        assert (got is None) == (expected is None), case
        assert got == expected, case


@pytest.mark.parametrize("reader", ["here", "reader processes"])
async def test_the_app_imports_a_file_with_the_same_rules(tmp_path, monkeypatch, reader):
    from test_app import SIZE, press, settle

    from screens.app import TriageApp
    from screens.lead_queue import LeadQueue
    from triage.services import Services

    if reader == "reader processes":  # as for a big file: the app's own workers run beside them
        import triage.files.importing

        monkeypatch.setenv("TRIAGE_READER_PROCESS_BYTES", "1")
        monkeypatch.setattr(triage.files.importing, "prepare", None)  # read here, it would fail: readers do it
    url = "sqlite:///" + str(tmp_path / "app.db")
    repo = LeadRepository(open_database(url))
    path = write(tmp_path / "leads.csv", csv_text(";", rows=[*ROWS, ["Eva", "Ohne", "kaputt", "Firma", "DE", "", "", ""]]))
    app = TriageApp(Services.open(repo, "marketing"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "i")
        await press(app, pilot, *str(path), "enter")  # the preview first
        await settle(app, pilot)
        await press(app, pilot, "ctrl+s")
        await settle(app, pilot)
        assert app.queue_screen.view.value == "pool"  # where imported MQLs wait
        assert sorted(row.last_name for row in app.query_one(LeadQueue).rows) == ["Müller", "Weiß", "de Vries"]
        assert any("imported 3, merged 0, rejected 1" in str(n.message) and "rejects.csv" in str(n.message)
                   for n in app._notifications)
        await press(app, pilot, "i")
        await press(app, pilot, *str(tmp_path / "missing.csv"), "enter")
        await settle(app, pilot)
        assert "no such file" in str(app.screen.query_one("#import-path-error").render())
