"""A one-line note, asked for before an action that needs one (the board's overturn).

With `save`, the dialog stores through it (in a worker) and closes only once that worked;
when it refuses, the reason shows under the note and the note stays as typed.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from triage.domain.errors import TriageError
from triage.domain.language import N_
from triage.domain.text import one_line

from .screen_commands import show_keys, speak_bindings


class NoteDialog(ModalScreen[str | None]):
    CSS_PATH = "note_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("enter", "save", N_("Save"), show=True),
                Binding("f1", "help", N_("Help"), tooltip=N_("The keys of this dialog")),
                Binding("ctrl+q", "app.quit", N_("Quit"))]

    def __init__(self, title: str, placeholder: str = "", save: Callable[[str], object] | None = None,
                 value: str = "") -> None:
        super().__init__()
        speak_bindings(self)
        self.title_text = title
        self.placeholder = placeholder
        self.save = save
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box"):
            yield Label(Text(self.title_text, style="bold"))
            yield Input(self.value, placeholder=self.placeholder, id="note-input")
            yield Static("", id="note-error", classes="field-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#note-error").display = False

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        note = self.query_one("#note-input", Input).value
        if self.save is None:
            self.dismiss(note)
        else:
            self._store(note)

    @work(thread=True, exclusive=True, group="note")
    def _store(self, note: str) -> None:
        save = self.save
        assert save is not None, "a note dialog stores only when it was given save"
        try:
            save(note)
        except TriageError as exc:
            self.app.call_from_thread(self._refused, one_line(exc))
            return
        self.app.call_from_thread(self.dismiss, note)

    def _refused(self, why: str) -> None:
        error = self.query_one("#note-error", Static)
        error.update(Text(why))
        error.display = True
        self.query_one("#note-input", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        show_keys(self)
