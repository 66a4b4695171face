"""The queue's text filter: typing filters, Enter keeps it, Escape clears it."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterInput(Input):
    #: While typing, ? and q are letters: help and quit stay in reach, and in the Footer.
    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter"),
        Binding("f1", "app.help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    class Cleared(Message):
        """The rep dropped the filter; the app shows the whole queue again."""

    def action_clear_filter(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())
