"""Errors a rep can be told about in one line."""

from __future__ import annotations

from datetime import datetime


class TriageError(Exception):
    """Anything refused for a reason the user can act on."""


class LeadNotFound(TriageError):
    def __init__(self, lead_id: int) -> None:
        super().__init__(f"no lead with id {lead_id}")
        self.lead_id = lead_id


#: Stages of a lead sales has accepted, in the order it moves through them.
_ACCEPTED = ("sal", "sql", "opportunity", "customer")
#: How "the lead is already ..." ends for a move to the stage it is at.
_ALREADY = {"mql": "an MQL", "sal": "accepted (SAL)", "returned": "returned (SRL)",
            "disqualified": "disqualified"}


class IllegalMove(TriageError):
    """A stage move the lifecycle does not allow, said as sales would say it: accepting an
    accepted lead is "already accepted (by whom, when known)", not a move from SAL to SAL."""

    def __init__(self, from_stage, to_stage, *, lead_id: int | None = None, by: str = "",
                 at: datetime | None = None) -> None:
        the_lead = f"lead {lead_id}" if lead_id is not None else "the lead"
        who = (f" by {by}" if by else "") + (f" on {at.astimezone():%Y-%m-%d %H:%M}" if at else "")
        if to_stage.value == "sal" and from_stage.value in _ACCEPTED:
            now = "" if from_stage.value == "sal" else f"; it is {from_stage.label} now"
            message = f"{the_lead} is already accepted{who}{now}"
        elif from_stage == to_stage:
            message = f"{the_lead} is already {_ALREADY.get(from_stage.value, from_stage.label)}{who}"
        elif to_stage.value == "sal" and from_stage.value == "returned":
            message = (f"{the_lead} is returned (SRL): marketing recycles it (or the review board overturns "
                       "the return) before sales accepts it again")
        elif to_stage.value == "sal" and from_stage.value == "new":
            message = f"{the_lead} is new: marketing hands it over as an MQL before sales accepts it"
        elif to_stage.value == "sal" and from_stage.value == "disqualified":
            message = (f"{the_lead} is disqualified: only the review board's overturn brings it back "
                       "to sales to accept")
        else:
            message = f"a lead cannot move from {from_stage.label} to {to_stage.label}"
        super().__init__(message)
        self.from_stage = from_stage
        self.to_stage = to_stage
        self.lead_id = lead_id
        self.by = by
        self.at = at


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


class MissingDatabase(DatabaseError):
    """A SQLite file that does not exist, where a command only works on one that does."""

    def __init__(self, path) -> None:
        super().__init__(f"{self.missing(path)}; give --db URL, or create one with `triage seed`, "
                         "`triage import PATH` or `triage` (the app)")
        self.path = path

    @staticmethod
    def missing(path) -> str:
        return f"there is no database at {path} (nothing was created)"


class RoleRefused(TriageError):
    """An action the actor's role does not allow; the message says why."""
