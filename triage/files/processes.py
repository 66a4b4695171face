"""Helper processes that work beside this one: the import's and the export's readers, the
rescore's scorers. How they are started, and how each ends with the process that started it."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator


def can_fork() -> bool:
    """Forking starts a process in a moment, but only a process with one thread may fork
    safely: the app, with its workers, starts fresh interpreters instead."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def start_context() -> Any:
    """The multiprocessing context to start helpers with (see `can_fork`)."""
    return multiprocessing.get_context("fork" if can_fork() else "spawn")


@contextmanager
def stderr_for_children() -> Iterator[None]:
    """A real file as `sys.stderr` while helpers start. A fresh interpreter is handed this
    process's standard error, and the app's stand-in for it (no file behind it) cannot be
    handed on; the helpers report their errors to this process, not there."""
    try:
        usable = sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable:
        yield
        return
    saved = sys.stderr
    with open(os.devnull, "w") as quiet:
        sys.stderr = quiet
        try:
            yield
        finally:
            sys.stderr = saved


def end_with(parent: int) -> None:
    """In a helper: a thread that ends it once `parent` is gone, wherever it waits (for room
    in a queue or a pipe, or at its exit for its last results to be taken, which nobody will now)."""
    threading.Thread(target=_stop_with, args=(parent,), daemon=True).start()


def _stop_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
