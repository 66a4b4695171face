"""The rep's triage app: the main screen (the queue) and the keys that work everywhere.

Each screen owns its bindings; the App keeps only help, quit and the palette. `?` lists
the keys of the screen on top, and the palette offers that screen's actions. A worker
that fails unexpectedly is told in a notification and logged; the app keeps running.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerFailed

from triage.domain.language import N_, _
from triage.domain.text import one_line
from triage.services import Services
from triage.services.decisions import Opening

from .command_palette import Palette
from .help_screen import HelpScreen
from .queue_screen import POLL_SECONDS, QueueScreen
from .screen_commands import ScreenCommands, show_keys, speak_bindings
from .sign_in_screen import SignIn, SignInScreen

log = logging.getLogger("triage.screens")


def log_to_file() -> Path | None:
    """Where the app writes what went wrong (`app.log` in the user log directory), or
    None when that directory cannot be made."""
    from platformdirs import user_log_dir

    path = Path(user_log_dir("triage", appauthor=False)) / "app.log"
    logger = logging.getLogger("triage")
    if any(getattr(handler, "baseFilename", None) == str(path) for handler in logger.handlers):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return path

_FUNCTION_KEY = re.compile(r"f\d{1,2}")
#: The main screen's mode once a member signed in (the default mode held the sign-in).
SIGNED_IN_MODE = "member"
#: Textual's own words that the app shows (the palette's key in the Footer), marked for the
#: catalogs: `speak_bindings` translates them with the app's own.
TEXTUAL_WORDS = (N_("palette"), N_("Open the command palette"))


class TriageApp(App[None]):
    """Work the queue: accept a lead (SAL) or return it to marketing (SRL)."""

    TITLE = "triage"
    #: The main screen is the mode's base screen (so Textual loads its .tcss, which it
    #: does not for `get_default_screen`).
    DEFAULT_MODE = "queue"
    #: The screen's actions and Textual's own, in that order (see `ScreenCommands`).
    COMMANDS = {ScreenCommands}
    #: The Footer shows `?` and `q`; F1 and ^q do the same while typing in a field.
    BINDINGS = [
        Binding("question_mark", "help", N_("Help"), tooltip=N_("The keys of this screen"), id="help"),
        Binding("f1", "help", N_("Help"), show=False, tooltip=N_("The keys of this screen (also while typing)"),
                id="help_anywhere"),
        Binding("q", "quit", N_("Quit"), tooltip=N_("Quit triage"), id="quit"),
        Binding("ctrl+q", "quit", N_("Quit"), show=False, tooltip=N_("Quit triage (also while typing)"),
                id="quit_anywhere"),
    ]

    #: How often the screen's thread lets a worker take the GIL (Python's default: 5 ms).
    #: A worker reading the database gives the GIL back at every row it steps over, and
    #: while the screen draws waits that long to get it again: a filtered page of a hundred
    #: leads out of a million waited up to 0.4 s for 20 ms of reading.
    SWITCH_INTERVAL = 0.0005

    def on_load(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(self.SWITCH_INTERVAL)

    def on_unmount(self) -> None:
        sys.setswitchinterval(getattr(self, "_switch_interval", sys.getswitchinterval()))

    def __init__(self, service: Services | None, poll_seconds: float = POLL_SECONDS,
                 keymap: dict[str, str] | None = None, log_path: Path | None = None,
                 sign_in: SignIn | None = None, where: str = "", opening: Opening | None = None) -> None:
        """Without `service`, the app first asks who signs in (`sign_in`, for a shared
        `triage web` on PostgreSQL) and opens the queue for that member. `opening`: what the
        queue opens on, read already (`Decisions.opening`)."""
        super().__init__()
        speak_bindings(self)
        self.log_path = log_path
        self.poll_seconds = poll_seconds
        if service is not None:
            self._open_queue(self.DEFAULT_MODE, service, opening)
        elif sign_in is not None:
            self.add_mode(self.DEFAULT_MODE, partial(SignInScreen, sign_in, where))
        else:
            raise ValueError("the app needs a member's services or a way to sign in")
        if keymap:
            self.set_keymap(keymap)

    def _open_queue(self, mode: str, service: Services, opening: Opening | None = None) -> None:
        self.service = service
        self.sub_title = _("signed in as {login}").format(login=one_line(service.actor))
        self.add_mode(mode, partial(QueueScreen, service, self.poll_seconds, opening=opening))

    def signed_in(self, service: Services) -> None:
        """The member signed in: their queue replaces the sign-in."""
        self._open_queue(SIGNED_IN_MODE, service)
        self.switch_mode(SIGNED_IN_MODE)

    @property
    def queue_screen(self) -> QueueScreen:
        """The main screen, at the bottom of the stack."""
        screen = self.screen_stack[0]
        assert isinstance(screen, QueueScreen)
        return screen

    async def _on_key(self, event: events.Key) -> None:
        """A printable key that reaches the app while a text field has focus was typed
        before focus got there (Textual routes a key to the widget focused when it
        arrived: "/" and "jansen" at once, or "r", "8", "n" and the note): it belongs in
        that field, never to a single-letter key such as `a`."""
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event.character:
            event.prevent_default()  # Textual's own handler (the bindings) is skipped
            focused.insert_text_at_cursor(event.character)

    def get_key_display(self, binding: Binding) -> str:
        """Keys as a person reads them: `^r`, `F5`."""
        shown = super().get_key_display(binding)
        return shown.upper() if _FUNCTION_KEY.fullmatch(shown) else shown

    def action_help(self) -> None:
        """The keys of the screen on top (its own, or those it lists)."""
        if not isinstance(self.screen, HelpScreen):
            show_keys(self.screen)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands in the palette, in the language in use: the theme, the
        keys (triage's own help, not Textual's English widget panel), a panel on the whole
        screen and back, quitting."""
        yield SystemCommand(_("Theme"), _("Choose the colours of triage"), self.action_change_theme)
        yield SystemCommand(_("Keys"), _("The keys of this screen"), self.action_help)
        if screen.maximized is not None:
            yield SystemCommand(_("Restore"), _("Show every panel again"), screen.action_minimize)
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand(_("Maximize"), _("Show the panel in focus on the whole screen"),
                                screen.action_maximize)
        yield SystemCommand(_("Quit"), _("Quit triage"), self.action_quit)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not any(isinstance(screen, CommandPalette) for screen in self.screen_stack):
            self.push_screen(Palette(placeholder=_("Search for commands…"), id="--command-palette"))

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(Palette(providers=[ThemeProvider], placeholder=_("Search for themes…")))

    def _handle_exception(self, error: Exception) -> None:
        """A worker's unexpected error (a bug, a driver's exception that is not a
        `TriageError`) is told and logged, and the app goes on; Textual would end the app.
        Every other unhandled exception still ends it."""
        if not isinstance(error, WorkerFailed):
            super()._handle_exception(error)
            return
        cause = error.error
        log.error("a worker failed", exc_info=cause)
        self.log.error(f"a worker failed: {cause!r}")
        where = f" ({self.log_path})" if self.log_path else ""
        self.notify(_("{error}: {cause}. The app goes on; the details are in the log{where}.").format(
                    error=one_line(type(cause).__name__), cause=one_line(cause), where=one_line(where)),
                    title=_("Something went wrong"), severity="error", markup=False, timeout=15)
