"""The queue's text filter: typing filters, Enter keeps it, Escape clears it."""

from __future__ import annotations

from textual.binding import Binding

from triage.domain.language import N_

from .field_input import FieldInput
from .screen_commands import speak_bindings


class FilterInput(FieldInput):
    """Enter and Escape are the screen's actions, done at once (`QueueScreen.action_keep_filter`,
    `action_clear_filter`): a key typed right after them (`/`, a name, Enter, `a`) is
    for the queue, not the filter."""

    #: While typing, ? and q are letters: help and quit stay in reach, and in the Footer.
    BINDINGS = [
        Binding("escape", "screen.clear_filter", N_("Clear filter")),
        Binding("enter", "screen.keep_filter", N_("Back to the queue"), show=False),
        Binding("f1", "app.help", N_("Help")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        speak_bindings(self)
