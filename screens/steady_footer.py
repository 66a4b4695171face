"""Textual's Footer, rebuilt only when the keys it shows changed.

Textual's Footer composes all its keys again on every bindings signal: each focus change,
each `refresh_bindings`. On the queue screen that is `/`, Enter in the filter, every reload
of the queue, and it cost more than the rest of those keys together. This one remembers
what it composed and lets a signal that changes nothing pass, and a signal that comes
while its rebuild is still to run (the start sends two before the first).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._composed: tuple | None = None
        #: A rebuild is asked for and still to run: it composes the keys shown by then.
        self._rebuild_due = False

    def _shown(self) -> tuple:
        """What `compose` would show: each shown key, its action, words and state."""
        return tuple(
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )

    def compose(self) -> ComposeResult:
        self._rebuild_due = False
        if self._bindings_ready:
            self._composed = self._shown()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        ours = self.is_attached and screen is self.screen
        if ours and (self._rebuild_due or self._composed is not None and self._shown() == self._composed):
            return
        super().bindings_changed(screen)
        self._rebuild_due = ours and screen.app.app_focus
