"""The command palette offers every triage action, with its key."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class TriageCommands(Provider):
    """One command per app binding: the same actions the Footer shows."""

    def _commands(self):
        app = self.app
        for binding in app.BINDINGS:
            if app.check_action(binding.action, ()) is not True:
                continue
            key = app.get_key_display(binding)
            yield f"{binding.description} ({key})", binding.tooltip or binding.description, binding.action

    async def discover(self) -> Hits:
        for title, help_text, action in self._commands():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text)
