"""A line of the main screen for one piece of background work (an import, a rescore):
what it is doing, how far it is, and the key that stops it."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class WorkProgress(Horizontal):
    """Hidden until `start`; each piece of work has its own, so neither hides the other.
    Its label and bar are made at the first `start`: most starts of the app run no work,
    and a progress bar is five widgets and their styles to set up before the first screen.
    Styled in queue_screen.tcss, the screen that shows it."""

    def start(self, text: str) -> None:
        if not self.children:
            self.mount(Label("", markup=False), ProgressBar(show_eta=False))
        self.query_one(Label).update(text)
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.add_class("-running")

    def advance(self, done: float, total: float) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)

    def stop(self) -> None:
        self.remove_class("-running")

    @property
    def running(self) -> bool:
        return self.has_class("-running")
