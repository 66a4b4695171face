"""A rep's decisions on leads, independent of screen and database.

The service reads a lead, checks the move against the lifecycle, and hands the store
one guarded write: the store applies it only if the lead is still at the version that
was read, in one transaction with its audit event, so concurrent decisions never
overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from triage.domain.language import N_, _, current, moment
from triage.domain import lifecycle
from triage.domain.checklist import GRADES, ChecklistItem, check_override, checklist
from triage.domain.errors import DatabaseError, RoleRefused, TriageError
from triage.domain.models import AuditEvent, Lead, LeadData, ReturnDecision, Role, ScorePart, Stage, utcnow
from triage.domain.queue import COUNT_AT_MOST, PAGE_ROWS, QueuePage, QueueView
from triage.domain.rules import Rules
from triage.domain.scoring import score_lead
from triage.domain.sla import BusinessClock, SlaStatus
from triage.services.context import Context
from triage.services.store import HandoverListener


@dataclass(frozen=True)
class LeadPanel:
    """What the app shows beside the queue of one lead."""

    lead: Lead
    history: list[AuditEvent]
    checklist: list[ChecklistItem]
    sla: SlaStatus | None


@dataclass(frozen=True)
class Opening:
    """The queue a member's app opens on: the view, its first page, how many leads it holds
    (counted up to `count_at_most`, more as one past it) and its first lead's panel (None
    when the queue is empty)."""

    view: QueueView
    page: QueuePage
    count: int
    panel: LeadPanel | None


class Decisions:
    """Reading the queue and deciding leads: accept, return, undo, take, recycle, hand over,
    checklist answers and grades."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def lead(self, lead_id: int) -> Lead:
        return self.context.lead(lead_id)

    def history(self, lead_id: int) -> list[AuditEvent]:
        self.lead(lead_id)
        return self.context.store.history(lead_id)

    def list_leads(self, *, stage: Stage | None = None, owner: str | None = None,
                   limit: int | None = None) -> Iterator[Lead]:
        """Leads as a member may read them: a rep their own and the pool's, the team lead,
        the review board and marketing every lead; someone not on the team none."""
        visible_to = self.context.actor if self.context.role() is Role.REP else None
        return self.context.store.list_leads(stage=stage, owner=owner, limit=limit, visible_to=visible_to)

    def read_lead(self, lead_id: int) -> Lead:
        """A lead to show: refused to a rep when it is another rep's."""
        lead = self.lead(lead_id)
        if self.context.role() is Role.REP and lead.owner not in (None, self.context.actor):
            raise RoleRefused(_("lead {id} is assigned to {owner}; a rep reads their own leads and the pool's").format(
                id=lead_id, owner=lead.owner))
        return lead

    def queue_page(self, view: QueueView, **kwargs: Any) -> QueuePage:
        return self.context.store.queue_page(view, self.context.actor, **kwargs)

    def lead_panel(self, lead_id: int, clock: BusinessClock) -> LeadPanel:
        """The lead, its history, its checklist and where it stands on `clock` now."""
        lead = self.lead(lead_id)
        return LeadPanel(lead, self.context.store.history(lead_id), self.checklist(lead),
                         clock.status(lead.stage, lead.handed_over_at, utcnow()))

    def opening(self, clock: BusinessClock, *, limit: int = PAGE_ROWS, count_at_most: int = COUNT_AT_MOST) -> Opening:
        """The member's own MQLs, or the unassigned pool when they have none: its first
        `limit` leads, its count and its first lead's panel, all the first screen shows."""
        view = QueueView.MINE
        page = self.queue_page(view, limit=limit)
        if not page.rows:
            view = QueueView.POOL
            page = self.queue_page(view, limit=limit)
        count = self.queue_count(view, at_most=count_at_most) if page.more else len(page.rows)
        panel = self.lead_panel(page.rows[0].id, clock) if page.rows else None
        return Opening(view, page, count, panel)

    def handovers_since(self, after: int | None) -> tuple[int, list[str]]:
        """Leads handed over to this member, or to the pool, since the audit event `after`:
        the newest event's id, and a line per hand-over naming the lead and why. With
        `after` None, only where the audit trail stands now (nothing is read)."""
        if after is None:
            return self.context.store.change_marker()[0], []
        top, rows = self.context.store.handovers_up_to(after, self.context.actor)
        lines = []
        for _event, lead_id, first_name, last_name, note in rows:
            name = " ".join(part for part in (first_name, last_name) if part) or _("(no name)")
            lines.append(_("{name} (#{id}): {why}").format(name=name, id=lead_id, why=note or _("handed over")))
        return top, lines

    def handover_listener(self) -> HandoverListener | None:
        """The database's notices of hand-overs, on a connection of its own (PostgreSQL's
        LISTEN, which any login may do; a notice names only an audit event, read then
        through `handovers_since`); None where the database cannot tell (SQLite)."""
        return self.context.store.listen_for_handovers()

    def change_marker(self) -> tuple[int, int]:
        """Differs from an earlier one when anyone changed leads since."""
        return self.context.store.change_marker()

    def queue_count(self, view: QueueView, text: str = "", at_most: int | None = None) -> int:
        """The queue's leads; with `at_most`, `at_most + 1` stands for "more than that", and
        counting a million costs no more than counting `at_most`."""
        return self.context.store.queue_count(view, self.context.actor, text=text, at_most=at_most)

    def accept(self, lead_id: int, expected_version: int | None = None) -> Lead:
        """Sales accepts an MQL: it becomes a SAL owned by whoever accepted it."""
        lead = self.context.current(lead_id, expected_version)
        self.context.may_decide(lead)
        lifecycle.check_move(lead.stage, Stage.SAL)
        return self._move(lead, Stage.SAL, "accept", {"owner": lead.owner or self.context.actor}, prior=_prior(lead))

    def return_lead(
        self, lead_id: int, decision: ReturnDecision, expected_version: int | None = None
    ) -> Lead:
        """Sales hands a lead back: to marketing's nurture, or disqualified for good."""
        lead = self.context.current(lead_id, expected_version)
        self.context.may_decide(lead)
        target = decision.path.stage
        lifecycle.check_move(lead.stage, target)
        note = decision.note
        if decision.contract_until is not None:
            note = f"contract until {decision.contract_until.isoformat()}" + (f"; {note}" if note else "")
        return self._move(
            lead, target, "return", {"owner": None},
            reason=decision.reason, path=decision.path, note=note, prior=_prior(lead),
        )

    def last_decision(self) -> AuditEvent | None:
        """The rep's last accept or return, if it is not undone yet: what `undo_last` undoes."""
        last = self.context.store.last_event(self.context.actor, (*UNDOABLE, UNDO))
        return None if last is None or last.action == UNDO else last

    def undo_last(self) -> tuple[Lead, AuditEvent]:
        """Put the lead of the rep's last accept or return back as it was before it (stage
        and owner; the decision's reason, path and note stay in the history), in one
        transaction with an `undo` event. Refused when there is nothing to undo or anyone,
        the rep included, changed the lead since. Returns the lead and the undone event."""
        decision = self.context.store.last_event(self.context.signature, (*UNDOABLE, UNDO))
        if decision is None:
            raise TriageError(_("nothing to undo: you have not accepted or returned a lead yet"))
        if decision.action == UNDO:
            raise TriageError(_("nothing to undo: your last decision is undone already ({note})").format(
                note=decision.note))
        what = _decision_text(decision)
        said = _decision_said(decision)
        lead = self.lead(decision.lead_id)
        later = [event for event in self.context.store.history(lead.id) if (event.id or 0) > (decision.id or 0)]
        if later or lead.stage is not decision.to_stage:
            who = later[-1].actor if later else lead.updated_by
            at = later[-1].at if later else lead.updated_at
            when = at.astimezone().strftime("%Y-%m-%d %H:%M") if current() == "en" else moment(at)
            raise TriageError(
                _("cannot undo your {decision}: {who} changed lead {id} since ({moment}); nothing was changed").format(
                    decision=said, who=_("you") if who == self.context.signature else who or _("someone"),
                    id=lead.id, moment=when)
            )
        if not decision.prior or "stage" not in decision.prior:
            raise TriageError(_("cannot undo your {decision}: it was stored before triage kept what an undo needs")
                              .format(decision=said))
        self.context.may_decide(lead)
        # An undo takes a decision back rather than making a move: SAL -> MQL is no move of
        # the lifecycle, so it is not checked against it.
        changes: dict[str, Any] = {"stage": Stage(str(decision.prior["stage"])), "owner": decision.prior.get("owner")}
        event = AuditEvent(
            lead_id=lead.id, actor=self.context.signature, at=utcnow(), action=UNDO,
            from_stage=lead.stage, to_stage=changes["stage"], note=f"undid the {what}", prior=_prior(lead),
        )
        return self._store(lead, changes, event), decision

    def recycle(self, lead_id: int, expected_version: int | None = None) -> Lead:
        """Marketing hands a nurtured lead back to sales as an MQL again."""
        self.context.may_market(N_("recycle a nurtured lead"))
        lead = self.context.current(lead_id, expected_version)
        lifecycle.check_move(lead.stage, Stage.MQL)
        if lead.stage is not Stage.RETURNED:
            raise TriageError(_("only a returned lead can be recycled; lead {id} is {stage}").format(
                id=lead_id, stage=lead.stage.label))
        return self._move(
            lead, Stage.MQL, "recycle",
            {"recycle_count": lead.recycle_count + 1, "handed_over_at": utcnow(), "owner": None},
        )

    def hand_over(self, lead_id: int, expected_version: int | None = None) -> Lead:
        """Marketing hands a new lead to sales as an MQL."""
        self.context.may_market(N_("hand a lead over to sales"))
        lead = self.context.current(lead_id, expected_version)
        lifecycle.check_move(lead.stage, Stage.MQL)
        return self._move(lead, Stage.MQL, "hand_over", {"handed_over_at": utcnow()})

    def take(self) -> Lead | None:
        """Take the next lead of the unassigned pool (queue order) as your own MQL; None
        when the pool is empty. Reps taking at the same moment never get the same lead."""
        self.context.may_take()
        event = AuditEvent(lead_id=0, actor=self.context.signature, at=utcnow(), action="take", note="taken from the pool")
        return self.context.store.take_next(event)

    def checklist(self, lead: Lead) -> list[ChecklistItem]:
        return checklist(lead, self.context.rules)

    def set_answer(
        self, lead_id: int, question: str, value: str | None, expected_version: int | None = None
    ) -> Lead:
        """The rep confirms or overrides a checklist answer (None: back to the derived one);
        the lead is scored again and the change is audited."""
        check_override(question, value)
        lead = self.context.current(lead_id, expected_version)
        self.context.may_decide(lead)
        overrides = dict(lead.overrides)
        before = self._answer_text(lead, question)
        if value is None:
            overrides.pop(question, None)
        else:
            overrides[question] = value
        changed = lead.model_copy(update={"overrides": overrides})
        after = self._answer_text(changed, question)
        verb = "back to derived" if value is None else ("confirmed" if before == after else "set")
        return self._rescored(
            lead, {"overrides": overrides}, "answer", f"{question} {verb}: {before} → {after}"
        )

    def set_grade(self, lead_id: int, grade: str | None, expected_version: int | None = None) -> Lead:
        """The rep's own grade, A to D, kept beside the computed score (None clears it)."""
        if grade is not None and grade not in GRADES:
            raise TriageError(_("'{grade}' is not a grade; use one of: {grades}").format(
                grade=grade, grades=", ".join(GRADES)))
        lead = self.context.current(lead_id, expected_version)
        self.context.may_decide(lead)
        note = f"grade {lead.grade or 'none'} → {grade or 'none'}"
        return self._change(lead, {"grade": grade or ""}, "grade", note)

    def _answer_text(self, lead: Lead, question: str) -> str:
        return next(item.answer for item in checklist(lead, self.context.rules) if item.question == question)

    def _rescored(self, lead: Lead, changes: dict[str, Any], action: str, note: str) -> Lead:
        scored = score_lead(lead.model_copy(update=changes), self.context.rules)
        note += f" (score {lead.score} → {scored.score})"
        changes = {**changes, "score": scored.score, "score_breakdown": scored.parts,
                   "rules_version": scored.rules_version}
        return self._change(lead, changes, action, note)

    def _change(self, lead: Lead, changes: dict[str, Any], action: str, note: str) -> Lead:
        event = AuditEvent(lead_id=lead.id, actor=self.context.signature, at=utcnow(), action=action, note=note)
        return self._store(lead, changes, event)

    def _move(self, lead: Lead, to_stage: Stage, action: str, changes: dict[str, Any], **event: Any) -> Lead:
        now = self.context.clock()
        audit = AuditEvent(
            lead_id=lead.id, actor=self.context.signature, at=now, action=action,
            from_stage=lead.stage, to_stage=to_stage, **event,
        )
        return self._store(lead, {"stage": to_stage, **changes}, audit)

    def _store(self, lead: Lead, changes: dict[str, Any], event: AuditEvent) -> Lead:
        """Store one change; when the database fails on the way (a lost connection, a
        server restart), read the lead again to tell whether the change is in."""
        try:
            return self.context.store.change(lead, changes, event)
        except DatabaseError as exc:
            try:
                current = self.context.store.get(lead.id)
            except DatabaseError:
                raise DatabaseError(
                    _("{problem}; the database cannot be reached now, so whether the {action} of lead {id} was "
                      "stored is not known: check with `triage show {id}` later").format(
                        problem=exc, action=_action(event.action), id=lead.id)
                ) from exc
            if (current is not None and current.version == lead.version + 1
                    and current.updated_by == event.actor and current.updated_at == event.at):
                return current
            raise DatabaseError(_("{problem}; the {action} of lead {id} was not stored: try again").format(
                problem=exc, action=_action(event.action), id=lead.id)) from exc



#: The decisions a rep can undo, and the audit action of an undo.
UNDOABLE = ("accept", "return")
UNDO = "undo"


def _prior(lead: Lead) -> dict[str, str | None]:
    """What an accept or a return changes, as it is before: kept with its audit event."""
    return {"stage": lead.stage.value, "owner": lead.owner}


def _decision_text(event: AuditEvent) -> str:
    """An accept or return in a few words: "return of lead 12 (no_fit, disqualify)"."""
    text = f"{event.action} of lead {event.lead_id}"
    if event.reason is not None:
        text += f" ({event.reason.value}, {event.path.value if event.path else '-'})"
    elif event.from_stage and event.to_stage:
        text += f" ({event.from_stage.label} → {event.to_stage.label})"
    return text


#: The audit actions as a message names them (marked here, translated where shown).
ACTION_LABELS = {"accept": N_("accept"), "return": N_("return"), "undo": N_("undo"), "recycle": N_("recycle"),
                 "hand_over": N_("hand-over"), "take": N_("take"), "answer": N_("answer"), "grade": N_("grade"),
                 "rescore": N_("rescore")}


def _action(action: str) -> str:
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def _decision_said(event: AuditEvent) -> str:
    """`_decision_text` in the language in use, for a message: "Rückgabe von Lead 12 (no_fit, disqualify)"."""
    if event.reason is not None:
        return _("{action} of lead {id} ({reason}, {path})").format(
            action=_action(event.action), id=event.lead_id, reason=event.reason.value,
            path=event.path.value if event.path else "-")
    if event.from_stage and event.to_stage:
        return _("{action} of lead {id} ({from_stage} → {to_stage})").format(
            action=_action(event.action), id=event.lead_id, from_stage=event.from_stage.label,
            to_stage=event.to_stage.label)
    return _("{action} of lead {id}").format(action=_action(event.action), id=event.lead_id)


def new_lead(
    data: LeadData,
    *,
    lead_id: int = 0,
    stage: Stage = Stage.MQL,
    owner: str | None = None,
    score: int | None = None,
    created_at: datetime | None = None,
    handed_over_at: datetime | None = None,
    actor: str = "",
    rules: Rules | None = None,
) -> Lead:
    """A scored Lead ready for `LeadStore.add_leads` (id 0 means: let the store number it).

    A `score` given from outside is kept as one part, with no rules version, so that the
    next `rescore` replaces it."""
    created = created_at or utcnow()
    handed = handed_over_at or (created if stage is not Stage.NEW else None)
    if score is None:
        scored = score_lead(data, rules)
        score, parts, version = scored.score, scored.parts, scored.rules_version
    else:
        parts, version = [ScorePart(reason="given", points=score)], ""
    return Lead(
        **data.model_dump(), id=lead_id, stage=stage, owner=owner, score=score,
        score_breakdown=parts, rules_version=version,
        created_at=created, handed_over_at=handed, updated_at=created, updated_by=actor,
    )


