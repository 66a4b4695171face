"""The composition root: argument parsing, opening storage, starting the app or the server."""

from triage.cli.main import main, service_for

__all__ = ["main", "service_for"]
