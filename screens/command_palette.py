"""The command palette, every word of it in the language in use."""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from triage.domain.language import _


class Palette(CommandPalette):
    """Textual's palette, whose "No matches found" is written in English inside Textual:
    here it says so in the language in use (the same countdown, the same disabled line)."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(_("No matches found"), style="not bold")), disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:  # nothing typed: the palette only lists what there is
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
