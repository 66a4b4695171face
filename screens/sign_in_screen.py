"""Signing in with a member's own database login, for an app that a shared server started
(`triage web` on PostgreSQL): each browser tab connects as the member who signs in there."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Static

from triage.domain.errors import TriageError
from triage.domain.language import N_, _
from triage.domain.text import one_line
from triage.services import Services

from .screen_commands import speak_bindings

#: Connects as `login` with `password` and gives that member's services, or raises
#: `TriageError` saying why not.
SignIn = Callable[[str, str], Services]


class SignInScreen(Screen[None]):
    BINDINGS = [Binding("enter", "sign_in", N_("Sign in"), id="sign_in.sign_in")]
    AUTO_FOCUS = "#sign-in-login"

    def __init__(self, sign_in: SignIn, where: str) -> None:
        super().__init__()
        speak_bindings(self)
        self.sign_in = sign_in
        self.where = where

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sign-in-box"):
            yield Label(Text(_("Sign in to {where} with your own database login").format(where=self.where)), id="sign-in-title")
            yield Label(_("Login"))
            yield Input(id="sign-in-login", placeholder=_("your login, e.g. anna"))
            yield Label(_("Password"))
            yield Input(id="sign-in-password", password=True)
            yield Static("", id="sign-in-error", markup=False)
        yield Footer()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "sign-in-login":
            self.query_one("#sign-in-password", Input).focus()
        else:
            self.action_sign_in()

    def action_sign_in(self) -> None:
        login = self.query_one("#sign-in-login", Input).value.strip()
        password = self.query_one("#sign-in-password", Input).value
        if not login:
            self._refused(_("give your login"))
            self.query_one("#sign-in-login", Input).focus()
            return
        self._connect(login, password)

    @work(thread=True, exclusive=True, group="sign-in")
    def _connect(self, login: str, password: str) -> None:
        try:
            services = self.sign_in(login, password)
        except TriageError as exc:
            self.app.call_from_thread(self._refused, one_line(exc))
            return
        self.app.call_from_thread(self.app.signed_in, services)  # type: ignore[attr-defined]

    def _refused(self, why: str) -> None:
        self.query_one("#sign-in-error", Static).update(Text(why))
        self.query_one("#sign-in-password", Input).value = ""
