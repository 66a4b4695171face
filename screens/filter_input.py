"""The queue's text filter: typing filters, Enter keeps it, Escape clears it."""

from __future__ import annotations

from textual.binding import Binding

from .field_input import FieldInput


class FilterInput(FieldInput):
    """Enter and Escape are the screen's actions, done at once (`QueueScreen.action_keep_filter`,
    `action_clear_filter`): a key typed right after them (`/`, a name, Enter, `a`) is
    for the queue, not the filter."""

    #: While typing, ? and q are letters: help and quit stay in reach, and in the Footer.
    BINDINGS = [
        Binding("escape", "screen.clear_filter", "Clear filter"),
        Binding("enter", "screen.keep_filter", "Back to the queue", show=False),
        Binding("f1", "app.help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]
