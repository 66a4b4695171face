"""The command palette offers every triage action, with its key.

Textual 8's palette lists only its system commands (theme, quit, keys, screenshot), not
the app's bindings; this provider adds them: the app's actions and the queue's moves.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from .lead_queue import LeadQueue
from .screen_commands import KeyCommands


class TriageCommands(KeyCommands):
    """One command per binding of the app and the queue: what the Footer and help show."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = self.app
        keys: dict[str, list[str]] = {}
        for binding in app.BINDINGS:  # one command per action, with all of its keys
            keys.setdefault(binding.action, []).append(app.get_key_display(binding))
        offered = set()
        for binding in app.BINDINGS:
            if binding.action in offered or binding.action == "quit" or app.check_action(binding.action, ()) is not True:
                continue  # quit is a system command already
            offered.add(binding.action)
            title = f"{binding.description} ({', '.join(keys[binding.action])})"
            yield title, binding.tooltip or binding.description, partial(app.run_action, binding.action)
        queues = self.screen.query(LeadQueue)
        if queues:
            queue = queues.first()
            for binding in LeadQueue.BINDINGS:
                key = app.get_key_display(binding)
                yield f"{binding.description} ({key})", f"Queue: {binding.description.lower()}", partial(
                    app.run_action, binding.action, queue
                )
