"""Keys as a screen owns them: what `?` lists and what the command palette offers.

Each screen owns its bindings; the App keeps only the app-wide ones (help, quit, the
palette). `?` and the palette read the bindings of the screen on top, with the user's
keymap applied, so a key rebound in the configuration is shown as it works.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from triage.domain.language import _

if TYPE_CHECKING:
    from textual.screen import Screen


def spoken(binding: Binding) -> Binding:
    """`binding` with its description and tooltip in the language in use (the key, the
    action and the id stay)."""
    return replace(binding, description=_(binding.description) if binding.description else "",
                   tooltip=_(binding.tooltip) if binding.tooltip else "")


def speak_bindings(node: DOMNode) -> None:
    """The node's own bindings (what the Footer shows) in the language in use: the class
    marks them with `N_`, and each instance translates them when it is made, so a process
    that changes language shows the new one on the next screen."""
    node._bindings.key_to_bindings = {key: [spoken(binding) for binding in bindings]
                                      for key, bindings in node._bindings.key_to_bindings.items()}


def bindings_in_force(node: DOMNode) -> list[Binding]:
    """The bindings the node's class declares (not those Textual's base classes add),
    in the language in use, each with its keys from the app's keymap when the user
    rebound it there."""
    keymap = node.app._keymap
    return [spoken(replace(binding, key=keymap[binding.id]) if binding.id is not None and binding.id in keymap
                   else binding)
            for binding in Binding.make_bindings(type(node).BINDINGS)]


def app_keys(node: DOMNode) -> list[tuple[str, str]]:
    """The keys that work on every screen (the App's own), as (keys, description)."""
    return [(keys, description) for keys, description, _ in described(node.app)]


def described(node: DOMNode, bindings: Iterable[Binding] | None = None) -> list[tuple[str, str, Binding]]:
    """(keys, description, first binding) per action: every key of one action on one
    line, as a person reads them ("^r / F5")."""
    app = node.app
    keys: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], Binding] = {}
    for binding in bindings if bindings is not None else bindings_in_force(node):
        what = (binding.action, binding.description)
        first.setdefault(what, binding)
        shown = keys.setdefault(what, [])
        for key in binding.key.split(","):
            text = app.get_key_display(Binding(key.strip(), "", key_display=binding.key_display))
            if text not in shown:
                shown.append(text)
    return [(" / ".join(shown), what[1], first[what]) for what, shown in keys.items()]


def key_pairs(node: DOMNode) -> list[tuple[str, str]]:
    """(keys, what they do) for a help list: the tooltip says more than the Footer's word."""
    return [(keys, binding.tooltip or description) for keys, description, binding in described(node)]


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


#: Actions the palette never offers: it is open already, or Textual offers them itself.
NOT_OFFERED = frozenset({"help", "quit", "command_palette", "close"})


def screen_commands(screen: "Screen") -> Iterator[tuple[str, str, Callable[[], object]]]:
    """One command per action of the screen (and of the widgets it names in
    `PALETTE_WIDGETS`) that applies now, titled with its keys."""
    nodes: list[DOMNode] = [screen]
    for selector in getattr(screen, "PALETTE_WIDGETS", ()):
        nodes.extend(screen.query(selector).results())
    for node in nodes:
        for keys, description, binding in described(node):
            action = binding.action
            if action in NOT_OFFERED or action.startswith(("app.", "screen.")):
                continue
            name = action.split("(", 1)[0]
            if node.check_action(name, ()) is not True:
                continue
            yield (f"{description} ({keys})", binding.tooltip or description,
                   partial(screen.app.run_action, action, node))


class ScreenCommands(KeyCommands):
    """The actions of the screen the palette was opened on, then the app's own (Textual's
    system commands, by name): the App lists this provider alone, so whatever screen is on
    top offers its own actions first. (Two providers would be listed in the order of a set
    of classes, i.e. of their addresses in memory, which any other import can change.)"""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        yield from screen_commands(self.screen)
        for title, help_text, callback, discover in sorted(self.app.get_system_commands(self.screen),
                                                           key=lambda command: command[0]):
            if discover:
                yield title, help_text, callback


def show_keys(screen: "Screen") -> None:
    """The keys of `screen` in the help screen (`?`, F1)."""
    from .help_screen import HelpScreen

    keys = screen.key_bindings() if hasattr(screen, "key_bindings") else key_pairs(screen)
    if not screen.is_modal and not hasattr(screen, "key_bindings"):
        keys += app_keys(screen)  # help and quit work here too
    extra = screen.more_key_bindings() if hasattr(screen, "more_key_bindings") else None
    screen.app.push_screen(HelpScreen(keys, extra))
