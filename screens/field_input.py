"""A text field that takes only the keys typed while it has focus."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class FieldInput(Input):
    """Textual hands each key to the widget that had focus when the key arrived, so keys
    typed faster than focus moves (Tab, then the date at once) would land in the field
    left behind. Here such a key passes on, and the app gives it to the field that has
    focus now (`TriageApp._on_key`)."""

    async def _on_key(self, event: events.Key) -> None:
        if self.has_focus:
            await super()._on_key(event)
