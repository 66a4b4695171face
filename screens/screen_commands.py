"""The command palette and `?` on a screen of its own (balance, review board, scoring
report): the screen's actions, by name, with their keys. A screen lists the provider in its
`COMMANDS`."""

from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


class KeyCommands(Provider):
    """A provider of (title, help, callback) commands: found by name, all shown at first."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class ScreenCommands(KeyCommands):
    """One command per shown binding of the screen the palette was opened on."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        for binding in screen.BINDINGS:
            if not binding.show or screen.check_action(binding.action, ()) is not True:
                continue
            title = f"{binding.description} ({self.app.get_key_display(binding)})"
            yield title, binding.tooltip or binding.description, partial(screen.run_action, binding.action)


def show_keys(screen: Screen) -> None:
    """`?` on a screen of its own: that screen's keys, not the queue's."""
    from .help_screen import HelpScreen

    app = screen.app
    pairs = [(" / ".join(app.get_key_display(Binding(key, "")) for key in binding.key.split(",")),
              binding.tooltip or binding.description) for binding in screen.BINDINGS]
    app.push_screen(HelpScreen(pairs))
