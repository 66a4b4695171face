"""Every key of the app with what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from triage.domain.language import N_, _

from .screen_commands import speak_bindings


class HelpScreen(ModalScreen[None]):
    """Lists (keys, description) pairs handed over by the app."""

    CSS_PATH = "help_screen.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Close help")),
        Binding("q", "close", N_("Close help"), show=False),
        Binding("question_mark", "close", N_("Close help"), show=False),
        Binding("f1", "close", N_("Close help"), show=False),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]

    def __init__(self, keys: list[tuple[str, str]], dialog_keys: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        speak_bindings(self)
        self.keys = keys
        self.dialog_keys = dialog_keys or []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text(_("Keys"), style="bold underline"))
            yield Static(self._table(self.keys), id="help-keys")
            if self.dialog_keys:
                yield Static(Text(_("In the return dialog"), style="bold underline"), classes="help-heading")
                yield Static(self._table(self.dialog_keys), id="help-dialog-keys")
            yield Static(Text(_("Escape closes this help."), style="dim italic"), classes="help-heading")
        yield Footer()

    @staticmethod
    def _table(pairs: list[tuple[str, str]]) -> Table:
        table = Table.grid(padding=(0, 3))
        table.add_column(style="bold", no_wrap=True, min_width=12)
        table.add_column()
        for keys, description in pairs:
            table.add_row(Text(keys), Text(description))
        return table

    def on_mount(self) -> None:
        self.query_one("#help-box").border_subtitle = _("↑ ↓ PgUp PgDn scroll · Esc closes")

    def action_close(self) -> None:
        self.dismiss(None)
