"""`triage web`: the same app in a browser, through textual-serve.

Each browser tab gets an app process of its own, started as `triage --db URL` would start
in a terminal, so who acts follows the same rules (on SQLite the login of whoever runs
`triage web`, `--as` as in the terminal; on PostgreSQL each tab asks who signs in and
connects with that member's own login and password). A tab
closed ends its process (textual-serve sends it a quit); stopping `triage web` ends every
process it started, even when it is killed: each app asks the kernel for a signal when
its parent dies (`end_with_parent`).
"""

from __future__ import annotations

import ctypes
import os
import shlex
import signal
import sys
from typing import Callable

from triage.domain.language import _

#: Set by `triage web` for the app processes it starts: its own process id.
PARENT_ENV = "TRIAGE_WEB_PARENT"
#: prctl(2): send this process a signal when its parent thread ends.
PR_SET_PDEATHSIG = 1


def app_command(db: str, login: str | None, rules: str | None, *, sign_in: bool = False) -> str:
    """The shell command textual-serve runs for each browser session (`exec`: the shell
    becomes the app, so the app is the server's own child). With `sign_in` (PostgreSQL)
    the URL loses its login and password, and each tab's member signs in with their own."""
    if sign_in:
        db = without_login(db)
        login = None
    words = [sys.executable, "-m", "triage.cli", "--db", db]
    if sign_in:
        words.append("--sign-in")
    if login:
        words += ["--as", login]
    if rules:
        words += ["--rules", rules]
    return "exec " + shlex.join(words)


def without_login(url: str) -> str:
    """A database URL with any login and password in it left out."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def end_with_parent() -> None:
    """In an app process that `triage web` started: end when `triage web` ends."""
    parent = os.environ.get(PARENT_ENV)
    if not parent:
        return
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
    if str(os.getppid()) != parent:  # it ended before the request took effect
        raise SystemExit(0)


def serve(command: str, *, host: str, port: int, title: str, print_line: Callable[[str], None]) -> None:
    from textual_serve.server import Server

    os.environ[PARENT_ENV] = str(os.getpid())
    server = Server(command, host=host, port=port, title=title)
    where = f"http://{host}:{port}"
    print_line(_("serving the triage app at {address} (one app per browser tab); Ctrl+C stops it and every app")
               .format(address=where))
    if host not in ("127.0.0.1", "localhost", "::1"):
        print_line(_("listening on {host}: anyone who can reach this address can open the app as its user")
                   .format(host=host))
    server.serve()
