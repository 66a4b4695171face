"""The review board: the returns of a period, what became of them, and the board's verdicts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

from triage.domain.language import N_, _, current, moment
from triage.domain import lifecycle
from triage.domain.errors import TriageError
from triage.domain.models import AuditEvent, Lead, Stage, utcnow
from triage.services.context import Context

RETURNED_COLUMNS = ["lead_id", "name", "company", "email", "channel", "handed_over_at", "returned_at",
                    "returned_by", "reason", "path", "note", "review", "reviewed_by", "reviewed_at", "review_note",
                    "stage_now", "owner_now", "afterwards"]

#: The moves that hand a lead (again) to sales and start its SLA clock anew.
HAND_OVERS = ("hand_over", "recycle", "board overturn")


@dataclass
class ReturnedLead:
    """One return (`event`) of a lead, with what the review board needs beside it: who
    returned it and why (`returned_by`, `note`), the hand-over it answered, and the
    board's verdict on it with its note."""

    lead: Lead
    event: AuditEvent
    #: What happened to the lead after the return (recycled, accepted, overturned, ...).
    later: list[AuditEvent]
    #: What happened to the lead before the return, oldest first.
    earlier: list[AuditEvent] = field(default_factory=list)

    @property
    def later_accepted(self) -> bool:
        return any(event.action == "accept" for event in self.later) or self.lead.stage in (
            Stage.SAL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER)

    @property
    def returned_by(self) -> str:
        return self.event.actor

    @property
    def note(self) -> str:
        """The rep's note with the return (with the contract's end for reason contract)."""
        return self.event.note

    @property
    def review_event(self) -> AuditEvent | None:
        """The board's last confirm or overturn of this return, before any later return."""
        found = None
        for event in self.later:
            if event.action == "return":
                break
            if event.action.startswith("board "):
                found = event
        return found

    @property
    def reviewed(self) -> str:
        """"confirmed", "overturned", or "" while the board has not judged this return."""
        event = self.review_event
        return event.action.removeprefix("board ") + "ed" if event else ""

    @property
    def reviewed_by(self) -> str:
        event = self.review_event
        return event.actor if event else ""

    @property
    def reviewed_at(self) -> datetime | None:
        event = self.review_event
        return event.at if event else None

    @property
    def review_note(self) -> str:
        event = self.review_event
        return event.note if event else ""

    @property
    def handed_over_at(self) -> datetime | None:
        """When sales got the lead that it then returned: the last hand-over (recycle,
        overturn) before the return. The lead's own `handed_over_at` is its latest hand-over,
        which after a recycle or an overturn lies after this return. A first hand-over that
        a later one overwrote is not on record: then the lead's creation (an import hands a
        lead over when it creates it)."""
        before = [event.at for event in self.earlier if event.action in HAND_OVERS]
        if before:
            return before[-1]
        if not any(event.action in HAND_OVERS for event in self.later):
            return self.lead.handed_over_at
        return min(self.lead.created_at, self.event.at)


def _split_history(history: list[AuditEvent], event: AuditEvent) -> tuple[list[AuditEvent], list[AuditEvent]]:
    """The events before and after `event` in a lead's history (oldest first)."""
    for index, other in enumerate(history):
        if other.id is not None and other.id == event.id:
            return history[:index], history[index + 1:]
    return [e for e in history if e.at < event.at], [e for e in history if e.at > event.at]


@dataclass
class Review:
    since: datetime
    until: datetime
    returns: list[ReturnedLead]
    by_reason: Counter = field(default_factory=Counter)
    by_rep: Counter = field(default_factory=Counter)
    #: channel: (returned, handed over in the period)
    by_channel: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def later_accepted(self) -> list[ReturnedLead]:
        return [item for item in self.returns if item.later_accepted]


class ReviewBoard:
    def __init__(self, context: Context) -> None:
        self.context = context

    def review(self, since: datetime, until: datetime) -> Review:
        """The returns of a period, grouped, with what became of them (review board)."""
        self.context.require_board(N_("review returns"))
        returns = []
        for lead, event, history in self.context.store.returns_with_history(since, until):
            earlier, later = _split_history(history, event)
            returns.append(ReturnedLead(lead, event, later, earlier))
        review = Review(since=since, until=until, returns=returns)
        returned = Counter(item.lead.channel.value for item in returns)
        # Only the channels with returns are shown: a period without returns counts nothing,
        # and a million hand-overs of other channels are not read.
        handed = self.context.store.handed_over_by_channel(since, until, list(returned)) if returned else {}
        review.by_reason = Counter(item.event.reason.value if item.event.reason else "?" for item in returns)
        review.by_rep = Counter(item.event.actor for item in returns)
        review.by_channel = {
            channel: (count, handed.get(channel, 0)) for channel, count in returned.most_common()
        }
        return review

    def confirm_return(self, lead_id: int, note: str = "") -> Lead:
        """The board agrees with a return; audited, the lead stays where it is."""
        self.context.require_board(N_("confirm returns"))
        lead = self.context.lead(lead_id)
        if lead.stage not in (Stage.RETURNED, Stage.DISQUALIFIED):
            raise TriageError(_("lead {id} is {stage}, not returned: nothing to confirm").format(
                id=lead_id, stage=lead.stage.label))
        history = self.context.store.history(lead_id)
        returns = [event for event in history if event.action == "return"]
        if returns:
            earlier, later = _split_history(history, returns[-1])
            done = ReturnedLead(lead, returns[-1], later, earlier).review_event
            if done is not None and done.action == "board confirm":
                raise TriageError(_("the return of lead {id} is confirmed already, by {name} on {moment}").format(
                    id=lead_id, name=done.actor,
                    moment=f"{done.at.astimezone():%Y-%m-%d %H:%M}" if current() == "en" else moment(done.at)))
        event = AuditEvent(lead_id=lead_id, actor=self.context.signature, at=utcnow(), action="board confirm",
                           note=note.strip() or "return confirmed")
        return self.context.store.change(lead, {}, event)

    def overturn_return(self, lead_id: int, note: str) -> Lead:
        """The board disagrees: the lead goes back to sales, an MQL in the pool, with a note."""
        self.context.require_board(N_("overturn returns"))
        if not note.strip():
            raise TriageError(_("overturning a return needs a note saying why sales should look again"))
        lead = self.context.lead(lead_id)
        if lead.stage not in (Stage.RETURNED, Stage.DISQUALIFIED):
            raise TriageError(_("lead {id} is {stage}, not returned: nothing to overturn").format(
                id=lead_id, stage=lead.stage.label))
        lifecycle.check_move(lead.stage, Stage.MQL)
        now = utcnow()
        event = AuditEvent(lead_id=lead_id, actor=self.context.signature, at=now, action="board overturn",
                           from_stage=lead.stage, to_stage=Stage.MQL, note=note.strip())
        return self.context.store.change(lead, {"stage": Stage.MQL, "owner": None, "handed_over_at": now}, event)

    def returned_rows(self, since: datetime | None, until: datetime | None) -> Iterator[dict[str, Any]]:
        """One row per return, its dates in the order things happened: the hand-over the
        return answered, the return, the board's review of it; later hand-overs (a recycle,
        an overturn) are in `afterwards`."""
        for lead, event, history in self.context.store.returns_with_history(since, until):
            earlier, later = _split_history(history, event)
            item = ReturnedLead(lead, event, later, earlier)
            yield {
                "lead_id": lead.id, "name": lead.name, "company": lead.company, "email": lead.email,
                "channel": lead.channel.value, "handed_over_at": item.handed_over_at,
                "returned_at": event.at, "returned_by": event.actor,
                "reason": event.reason.value if event.reason else "", "path": event.path.value if event.path else "",
                "note": event.note, "review": item.reviewed, "reviewed_by": item.reviewed_by,
                "reviewed_at": item.reviewed_at, "review_note": item.review_note,
                "stage_now": lead.stage.value, "owner_now": lead.owner or "",
                "afterwards": "; ".join(f"{later.at:%Y-%m-%d} {later.action} by {later.actor}" for later in later),
            }
