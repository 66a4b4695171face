"""Import in the app: the path, the preview of what the import will do, then the import."""

import pytest
from screen_lines import in_view, terminal_lines
from test_app import press, settle
from test_import_preview import HEADER, ROWS, write
from textual.widgets import DataTable, Input, Select

from screens.app import TriageApp
from screens.import_dialog import ImportDialog
from storage import LeadRepository, open_database
from triage.files.import_preview import KEEP
from triage.services import Services


@pytest.fixture
def repo(tmp_path):
    return LeadRepository(open_database("sqlite:///" + str(tmp_path / "app.db")))


def rows_shown(dialog) -> list[list[str]]:
    table = dialog.query_one(".import-rows", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_the_import_dialog_previews_lets_a_column_change_field_then_imports(repo, tmp_path):
    path = write(tmp_path / "leads.csv", [HEADER, *ROWS])
    app = TriageApp(Services.open(repo, "marketing"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "i")
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        await press(app, pilot, *str(tmp_path / "nope.csv"), "enter")
        assert isinstance(app.screen, ImportDialog) and in_view(app, "nope.csv: no such file")
        assert dialog.query_one("#import-path", Input).value == str(tmp_path / "nope.csv")  # kept as typed
        await press(app, pilot, "ctrl+s")  # nothing to import: the dialog stays
        assert isinstance(app.screen, ImportDialog) and repo.count_leads() == 0
        await press(app, pilot, *["backspace"] * len("nope.csv"), *"leads.csv", "enter")
        assert in_view(app, "8 columns, 6 to fields", "kept unmapped (in extra): favourite colour",
                       "left out: Contact owner", "2 to import, 2 rejected")
        assert not in_view(app, "no such file")
        shown = rows_shown(dialog)
        assert shown[0][:4] == ["2", "✔ stored", "Anna", "Müller"] and shown[1][:2] == ["3", "✘ rejected"]
        assert in_view(app, "✘ line 3 rejected: email: 'kaputt' is not an email address")
        footer = terminal_lines(app)[-1]
        assert "Cancel" in footer and "Import" in footer
        colour = dialog.column_select(6)
        assert colour.value == KEEP and dialog.column_select(7).value == "-"
        colour.focus()
        await press(app, pilot, "enter", *"notes", "enter")  # open the list, pick notes
        assert colour.value == "notes" and dialog.column_select(5).value == KEEP
        assert in_view(app, "kept unmapped (in extra): notes")
        assert dialog.preview.rows[0].values["notes"] == "blue"
        assert repo.count_leads() == 0  # nothing imported yet
        await press(app, pilot, "ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, ImportDialog)
        stored = {lead.last_name: lead for lead in repo.list_leads()}
        assert set(stored) == {"Müller", "de Vries"}
        assert stored["Müller"].notes == "blue" and stored["Müller"].extra == {"notes": "Rückruf bitte"}
        message = next(str(n.message) for n in app._notifications if "imported" in str(n.message))
        assert "imported 2, merged 0, rejected 2" in message and "Not mapped, kept with each lead: notes" in message


async def test_escape_cancels_the_import_and_changes_nothing(repo, tmp_path):
    path = write(tmp_path / "leads.csv", [HEADER, *ROWS])
    app = TriageApp(Services.open(repo, "marketing"))
    async with app.run_test(size=(128, 34)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "i")
        await press(app, pilot, *str(path), "enter")
        assert in_view(app, "2 to import, 2 rejected")
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, ImportDialog) and repo.count_leads() == 0


async def test_ctrl_s_before_the_preview_shows_the_preview_first(repo, tmp_path):
    path = write(tmp_path / "leads.csv", [HEADER, *ROWS])
    app = TriageApp(Services.open(repo, "marketing"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "i")
        await press(app, pilot, *str(path), "ctrl+s")
        assert isinstance(app.screen, ImportDialog) and repo.count_leads() == 0
        assert in_view(app, "2 to import, 2 rejected")
        await press(app, pilot, "ctrl+s")
        assert repo.count_leads() == 2


@pytest.mark.parametrize("reader", ["here", "reader processes"])
async def test_the_app_imports_through_the_preview_with_the_same_rules(repo, tmp_path, monkeypatch, reader):
    """What tests/test_import.py's app test does, with the preview's Ctrl+S."""
    from screens.lead_queue import LeadQueue

    if reader == "reader processes":  # as for a big file: the app's own workers run beside them
        import triage.files.importing

        monkeypatch.setenv("TRIAGE_READER_PROCESS_BYTES", "1")
        monkeypatch.setattr(triage.files.importing, "prepare", None)  # read here, it would fail: readers do it
    path = write(tmp_path / "leads.csv", [HEADER, *ROWS])
    app = TriageApp(Services.open(repo, "marketing"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "i")
        await press(app, pilot, *str(path), "enter")
        await press(app, pilot, "ctrl+s")
        await settle(app, pilot)
        assert app.queue_screen.view.value == "pool"  # where imported MQLs wait
        assert sorted(row.last_name for row in app.query_one(LeadQueue).rows) == ["Müller", "de Vries"]
        assert any("imported 2, merged 0, rejected 2" in str(n.message) and "rejects.csv" in str(n.message)
                   for n in app._notifications)


async def test_another_file_after_the_first_shows_its_own_columns(repo, tmp_path):
    first = write(tmp_path / "first.csv", [HEADER, *ROWS])
    second = write(tmp_path / "second.csv", ["email;company", "eva@firma.de;Firma"])
    app = TriageApp(Services.open(repo, "marketing"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "i")
        await press(app, pilot, *str(first), "enter")
        dialog = app.screen
        assert len(dialog.query(".import-column")) == 8
        await press(app, pilot, *["backspace"] * len("first.csv"), *"second.csv", "enter")
        assert [select.value for select in dialog.query(".import-column-field").results(Select)] == ["email", "company"]
        assert in_view(app, "second.csv (CSV", "All 1 row as stored: 1 to import, 0 rejected")
        await press(app, pilot, "ctrl+s")
        assert [lead.email for lead in repo.list_leads()] == ["eva@firma.de"]
