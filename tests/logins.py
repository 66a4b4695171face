"""Running triage as a given system login, as a person at their own terminal does.

On SQLite who acts is the operating system's login (getpass reads LOGNAME first), so a
test acts as "anna" by being anna, not by a claim on the command line.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, TextIO


@contextmanager
def system_login(login: str) -> Iterator[None]:
    saved = os.environ.get("LOGNAME")
    os.environ["LOGNAME"] = login
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("LOGNAME", None)
        else:
            os.environ["LOGNAME"] = saved


def main_as(login: str, argv: list[str], out: TextIO | None = None) -> int:
    """`triage ARGV` run by `login`."""
    from triage.cli.main import main

    with system_login(login):
        return main(argv, out=out)
