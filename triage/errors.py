"""Errors a rep can be told about in one line."""

from __future__ import annotations

from datetime import datetime


class TriageError(Exception):
    """Anything refused for a reason the user can act on."""


class LeadNotFound(TriageError):
    def __init__(self, lead_id: int) -> None:
        super().__init__(f"no lead with id {lead_id}")
        self.lead_id = lead_id


class IllegalMove(TriageError):
    def __init__(self, from_stage, to_stage) -> None:
        super().__init__(
            f"a lead cannot move from {from_stage.label} to {to_stage.label}"
        )
        self.from_stage = from_stage
        self.to_stage = to_stage


class StaleLead(TriageError):
    """The lead changed after the caller read it: the decision is refused, not merged."""

    def __init__(self, lead_id: int, changed_by: str, changed_at: datetime) -> None:
        when = changed_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        super().__init__(
            f"lead {lead_id} was changed by {changed_by or 'someone'} at {when}; "
            "nothing was stored, look at it again"
        )
        self.lead_id = lead_id
        self.changed_by = changed_by
        self.changed_at = changed_at


class DatabaseError(TriageError):
    """The database cannot be opened or used."""
