"""Every dialog at 80x24 shows Help and Quit in its Footer, and F1 lists its own keys."""

from __future__ import annotations

import pytest
from screen_lines import terminal_lines
from test_app import press, settle

from screens.app import TriageApp
from screens.confirm_dialog import ConfirmDialog
from screens.help_screen import HelpScreen
from screens.import_dialog import ImportDialog
from screens.member_dialog import MemberDialog
from screens.note_dialog import NoteDialog
from storage import LeadRepository, open_database
from triage.services import Services


@pytest.fixture
def service(tmp_path):
    return Services.open(LeadRepository(open_database(f"sqlite:///{tmp_path / 'keys.db'}")), "lena")


DIALOGS = {
    "import": lambda service: ImportDialog(service.rules),
    "member": lambda service: MemberDialog(service),
    "note": lambda service: NoteDialog("Overturn the return", "why"),
    "confirm": lambda service: ConfirmDialog("Assign 489 pool MQLs to 4 reps?"),
}


@pytest.mark.parametrize("name", DIALOGS)
async def test_a_dialog_shows_help_and_quit_and_f1_lists_its_keys(service, name):
    app = TriageApp(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        dialog = DIALOGS[name](service)
        app.push_screen(dialog)
        await settle(app, pilot)
        footer = terminal_lines(app)[-1]
        assert "F1 Help" in footer and "^q Quit" in footer, footer
        await press(app, pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        listed = " ".join(terminal_lines(app))
        assert all((binding.tooltip or binding.description) in listed for binding in dialog.BINDINGS)
