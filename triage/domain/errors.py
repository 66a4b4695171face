"""Errors a rep can be told about in one line."""

from __future__ import annotations

from datetime import datetime

from triage.domain.language import N_, _, current, moment


class TriageError(Exception):
    """Anything refused for a reason the user can act on."""


class LeadNotFound(TriageError):
    def __init__(self, lead_id: int) -> None:
        super().__init__(_("no lead with id {id}").format(id=lead_id))
        self.lead_id = lead_id


#: Stages of a lead sales has accepted, in the order it moves through them.
_ACCEPTED = ("sal", "sql", "opportunity", "customer")
#: How "the lead is already ..." ends for a move to the stage it is at.
_ALREADY = {"mql": N_("{lead} is already an MQL{who}"), "sal": N_("{lead} is already accepted (SAL){who}"),
            "returned": N_("{lead} is already returned (SRL){who}"),
            "disqualified": N_("{lead} is already disqualified{who}")}


class IllegalMove(TriageError):
    """A stage move the lifecycle does not allow, said as sales would say it: accepting an
    accepted lead is "already accepted (by whom, when known)", not a move from SAL to SAL."""

    def __init__(self, from_stage, to_stage, *, lead_id: int | None = None, by: str = "",
                 at: datetime | None = None) -> None:
        the_lead = _("lead {id}").format(id=lead_id) if lead_id is not None else _("the lead")
        who = (_(" by {name}").format(name=by) if by else "") + (_(" on {moment}").format(moment=_when(at)) if at else "")
        if to_stage.value == "sal" and from_stage.value in _ACCEPTED:
            if from_stage.value == "sal":
                message = _("{lead} is already accepted{who}").format(lead=the_lead, who=who)
            else:
                message = _("{lead} is already accepted{who}; it is {stage} now").format(
                    lead=the_lead, who=who, stage=from_stage.label)
        elif from_stage == to_stage:
            already = _ALREADY.get(from_stage.value)
            message = (_(already) if already else _("{lead} is already {stage}{who}")).format(
                lead=the_lead, who=who, stage=from_stage.label)
        elif to_stage.value == "sal" and from_stage.value == "returned":
            message = _("{lead} is returned (SRL): marketing recycles it (or the review board overturns "
                        "the return) before sales accepts it again").format(lead=the_lead)
        elif to_stage.value == "sal" and from_stage.value == "new":
            message = _("{lead} is new: marketing hands it over as an MQL before sales accepts it").format(
                lead=the_lead)
        elif to_stage.value == "sal" and from_stage.value == "disqualified":
            message = _("{lead} is disqualified: only the review board's overturn brings it back "
                        "to sales to accept").format(lead=the_lead)
        else:
            message = _("a lead cannot move from {from_stage} to {to_stage}").format(
                from_stage=from_stage.label, to_stage=to_stage.label)
        super().__init__(message)
        self.from_stage = from_stage
        self.to_stage = to_stage
        self.lead_id = lead_id
        self.by = by
        self.at = at


class StaleLead(TriageError):
    """The lead changed after the caller read it: the decision is refused, not merged."""

    def __init__(self, lead_id: int, changed_by: str, changed_at: datetime) -> None:
        when = changed_at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if current() == "en" else moment(changed_at)
        super().__init__(
            (_("lead {id} was changed by {name} at {moment}; nothing was stored, look at it again") if changed_by
             else _("lead {id} was changed by someone at {moment}; nothing was stored, look at it again")).format(
                id=lead_id, name=changed_by, moment=when)
        )
        self.lead_id = lead_id
        self.changed_by = changed_by
        self.changed_at = changed_at


class DatabaseError(TriageError):
    """The database cannot be opened or used."""


class MissingDatabase(DatabaseError):
    """A SQLite file that does not exist, where a command only works on one that does."""

    def __init__(self, path) -> None:
        super().__init__(_("{missing}; give --db URL, or create one with `triage seed`, "
                           "`triage import PATH` or `triage` (the app)").format(missing=self.missing(path)))
        self.path = path

    @staticmethod
    def missing(path) -> str:
        return _("there is no database at {path} (nothing was created)").format(path=path)


def _when(at: datetime) -> str:
    """A moment in a message: "2026-11-27 15:00" in English (as ever), the language's own elsewhere."""
    return f"{at.astimezone():%Y-%m-%d %H:%M}" if current() == "en" else moment(at)


class RoleRefused(TriageError):
    """An action the actor's role does not allow; the message says why."""
