"""Asks before an action that moves many leads or changes the rules: one key too many is
better than one key wrong. Dismisses with True (y) or False (n or Escape); Enter presses
the focused button, which is No when there is a warning."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from triage.domain.language import N_, _

from .screen_commands import show_keys, speak_bindings


class ConfirmDialog(ModalScreen[bool]):
    CSS_PATH = "confirm_dialog.tcss"
    BINDINGS = [
        Binding("y", "confirm", N_("Yes")),
        Binding("n,escape", "cancel", N_("No")),
        Binding("f1", "help", N_("Help"), tooltip=N_("The keys of this dialog")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]

    def __init__(self, question: str, details: Content | str = "", *, yes: str = "", warning: str = "") -> None:
        """`question` in a line ("Assign 489 pool MQLs to 4 reps?"); `details` below it;
        `warning` stands out above the buttons."""
        super().__init__()
        speak_bindings(self)
        yes = yes or _("Yes")
        self.question = question
        self.details = details
        self.yes = yes
        self.warning = warning

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="warning" if self.warning else ""):
            yield Label(Text(self.question, style="bold"), id="confirm-question")
            with VerticalScroll(id="confirm-scroll"):
                if self.details:
                    yield Static(self.details, id="confirm-details", markup=False)
                if self.warning:
                    yield Static(Content.styled("⚠ " + self.warning, "bold $error"), id="confirm-warning")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", id="confirm-yes", variant="error" if self.warning else "primary")
                yield Button(_("No (n, Esc)"), id="confirm-no")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#confirm-no" if self.warning else "#confirm-yes", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_help(self) -> None:
        show_keys(self)


def when_confirmed(act: Callable[..., object], *args: object) -> Callable[[bool | None], None]:
    """A `ConfirmDialog`'s callback: `act(*args)` when the answer was yes."""

    def answered(yes: bool | None) -> None:
        if yes:
            act(*args)

    return answered
