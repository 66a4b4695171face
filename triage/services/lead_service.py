"""What a rep can do with leads, independent of screen and database.

The service reads a lead, checks the move against the lifecycle, and hands the store
one guarded write: the store applies it only if the lead is still at the version that
was read, in one transaction with its audit event, so concurrent decisions never
overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from triage.domain import lifecycle
from triage.domain.checklist import GRADES, check_override, checklist
from triage.domain.errors import DatabaseError, LeadNotFound, StaleLead, TriageError
from triage.domain.models import (
    AuditEvent,
    Lead,
    LeadData,
    QueueRow,
    ReturnDecision,
    Role,
    ScorePart,
    Stage,
    TeamMember,
    utcnow,
)
from triage.domain.rules import Rules, RulesVersion, default_rules, rules_to_toml
from triage.domain.scoring import score_lead
from triage.services.marketing import MarketingWork
from triage.services.teamwork import RoleRefused, TeamWork

if TYPE_CHECKING:
    from triage.domain.calibration import CalibrationReport

#: Leads scored per transaction by `LeadService.rescore`.
RESCORE_BATCH = 2000


#: A queue position after every real one: `queue_page(before=LAST_KEY)` gives the last page.
LAST_KEY: tuple[str, int] = ("~", 0)


class QueueView(StrEnum):
    MINE = "mine"
    POOL = "pool"


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    #: True when more rows follow the last one (or precede the first, for a backward page).
    more: bool


class LeadStore(Protocol):
    """What the domain needs from storage; `storage.LeadRepository` provides it."""

    def get(self, lead_id: int) -> Lead | None: ...

    def history(self, lead_id: int) -> list[AuditEvent]: ...

    def change(self, lead: Lead, changes: dict[str, Any], event: AuditEvent) -> Lead: ...

    def queue_page(
        self,
        view: QueueView,
        login: str,
        *,
        after: tuple[str, int] | None = None,
        before: tuple[str, int] | None = None,
        text: str = "",
        limit: int = 100,
    ) -> QueuePage: ...

    def queue_count(self, view: QueueView, login: str, *, text: str = "", at_most: int | None = None) -> int: ...

    def list_leads(
        self, *, stage: Stage | None = None, owner: str | None = None, limit: int | None = None
    ) -> Iterable[Lead]: ...

    def add_leads(self, leads: Iterable[Lead]) -> int: ...

    def count_leads(self, stage: Stage | None = None) -> int: ...

    def team(self) -> list[TeamMember]: ...

    def add_team_member(self, member: TeamMember) -> None: ...

    def count_to_rescore(self, rules_version: str) -> int: ...

    def leads_to_rescore(self, rules_version: str, after_id: int = 0, limit: int = 2000) -> list[Lead]: ...

    def save_scores(self, scores: Iterable[tuple[Lead, int, list[ScorePart], str]]) -> int: ...

    def decided_leads(self) -> Iterator[tuple[Lead, bool]]: ...

    def handovers_up_to(self, after: int, login: str) -> tuple[int, list[tuple[int, int, str, str, str]]]: ...

    def change_marker(self) -> tuple[int, int]: ...

    def take_next(self, event: AuditEvent) -> Lead | None: ...

    def membership(self, login: str) -> tuple[TeamMember | None, int]: ...

    def open_leads_by_owner(self) -> dict[str, int]: ...

    def given_leads(self, since: Any, until: Any = None) -> list[tuple[int, str, int]]: ...

    def pool_leads(self, limit: int | None = None) -> list[Lead]: ...

    def handed_over_between(self, since: Any, until: Any) -> list[Lead]: ...

    def give_leads(self, given: list[tuple[int, str | None]], events: list[AuditEvent], *, from_pool: bool) -> list[int]: ...

    def open_leads(self, *, owner: str | None = None, assigned: bool = False) -> list[Lead]: ...

    def actions_since(self, since: Any, actions: tuple[str, ...]) -> list[tuple[int, str, str]]: ...

    def last_event(self, actor: str, actions: tuple[str, ...]) -> AuditEvent | None: ...

    def open_lead_tallies(self, moments: list[Any]) -> dict[str | None, list[int]]: ...

    def open_leads_handed(self, *, up_to: Any, after: tuple[Any, int] | None = None, since: Any = None,
                          by_id: bool = False, limit: int = 1000) -> list[Lead]: ...

    def given_totals(self, since: Any, until: Any = None) -> dict[str, tuple[int, int]]: ...

    def action_counts_since(self, since: Any, actions: tuple[str, ...]) -> dict[tuple[str, str], int]: ...

    def handed_over_by_channel(self, since: Any, until: Any) -> dict[str, int]: ...

    def pool_to_assign(self, after: tuple[str, int] | None = None,
                       limit: int = 5000) -> list[tuple[int, int, str, str, str]]: ...

    def returns_with_history(self, since: Any = None, until: Any = None) -> list[tuple[Lead, AuditEvent, list[AuditEvent]]]: ...

    def worked_leads(self, stages: tuple[Stage, ...], since: Any = None,
                     until: Any = None) -> Iterator[tuple[int, str, str, str | None, Any]]: ...

    def export_leads(self, since: Any = None, until: Any = None) -> Iterator[dict[str, Any]]: ...


class LeadService(TeamWork, MarketingWork):
    def __init__(self, store: LeadStore, actor: str, rules: Rules | None = None, *, acting_for: str = "") -> None:
        self.store = store
        #: Whose work this is: whose leads, whose role. With `acting_for`, a team lead acts
        #: as that member, and the audit trail names both ("lena as anna").
        self.actor = acting_for or actor
        self.signature = f"{actor} as {acting_for}" if acting_for and acting_for != actor else actor
        self.rules = rules or default_rules()

    def lead(self, lead_id: int) -> Lead:
        lead = self.store.get(lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        return lead

    def history(self, lead_id: int) -> list[AuditEvent]:
        self.lead(lead_id)
        return self.store.history(lead_id)

    def list_leads(self, *, stage: Stage | None = None, owner: str | None = None,
                   limit: int | None = None) -> Iterator[Lead]:
        """Leads as a member may read them: a rep their own and the pool's, the team lead,
        the review board and marketing every lead; someone not on the team none."""
        visible_to = self.actor if self.role() is Role.REP else None
        return self.store.list_leads(stage=stage, owner=owner, limit=limit, visible_to=visible_to)

    def read_lead(self, lead_id: int) -> Lead:
        """A lead to show: refused to a rep when it is another rep's."""
        lead = self.lead(lead_id)
        if self.role() is Role.REP and lead.owner not in (None, self.actor):
            raise RoleRefused(f"lead {lead_id} is assigned to {lead.owner}; a rep reads their own leads and the pool's")
        return lead

    def queue_page(self, view: QueueView, **kwargs: Any) -> QueuePage:
        return self.store.queue_page(view, self.actor, **kwargs)

    def handovers_since(self, after: int | None) -> tuple[int, list[str]]:
        """Leads handed over to this member, or to the pool, since the audit event `after`:
        the newest event's id, and a line per hand-over naming the lead and why. With
        `after` None, only where the audit trail stands now (nothing is read)."""
        if after is None:
            return self.store.change_marker()[0], []
        top, rows = self.store.handovers_up_to(after, self.actor)
        lines = []
        for _, lead_id, first_name, last_name, note in rows:
            name = " ".join(part for part in (first_name, last_name) if part) or "(no name)"
            lines.append(f"{name} (#{lead_id}): {note or 'handed over'}")
        return top, lines

    def change_marker(self) -> tuple[int, int]:
        """Differs from an earlier one when anyone changed leads since."""
        return self.store.change_marker()

    def queue_count(self, view: QueueView, text: str = "", at_most: int | None = None) -> int:
        """The queue's leads; with `at_most`, `at_most + 1` stands for "more than that"."""
        return self.store.queue_count(view, self.actor, text=text, at_most=at_most)

    def accept(self, lead_id: int, expected_version: int | None = None) -> Lead:
        """Sales accepts an MQL: it becomes a SAL owned by whoever accepted it."""
        lead = self._current(lead_id, expected_version)
        self._may_decide(lead)
        lifecycle.check_move(lead.stage, Stage.SAL)
        return self._move(lead, Stage.SAL, "accept", {"owner": lead.owner or self.actor}, prior=_prior(lead))

    def return_lead(
        self, lead_id: int, decision: ReturnDecision, expected_version: int | None = None
    ) -> Lead:
        """Sales hands a lead back: to marketing's nurture, or disqualified for good."""
        lead = self._current(lead_id, expected_version)
        self._may_decide(lead)
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
        last = self.store.last_event(self.actor, (*UNDOABLE, UNDO))
        return None if last is None or last.action == UNDO else last

    def undo_last(self) -> tuple[Lead, AuditEvent]:
        """Put the lead of the rep's last accept or return back as it was before it (stage
        and owner; the decision's reason, path and note stay in the history), in one
        transaction with an `undo` event. Refused when there is nothing to undo or anyone,
        the rep included, changed the lead since. Returns the lead and the undone event."""
        decision = self.store.last_event(self.signature, (*UNDOABLE, UNDO))
        if decision is None:
            raise TriageError("nothing to undo: you have not accepted or returned a lead yet")
        if decision.action == UNDO:
            raise TriageError(f"nothing to undo: your last decision is undone already ({decision.note})")
        what = _decision_text(decision)
        lead = self.lead(decision.lead_id)
        later = [event for event in self.store.history(lead.id) if (event.id or 0) > (decision.id or 0)]
        if later or lead.stage is not decision.to_stage:
            who = later[-1].actor if later else lead.updated_by
            when = (later[-1].at if later else lead.updated_at).astimezone().strftime("%Y-%m-%d %H:%M")
            raise TriageError(
                f"cannot undo your {what}: {'you' if who == self.signature else who or 'someone'} changed "
                f"lead {lead.id} since ({when}); nothing was changed"
            )
        if not decision.prior or "stage" not in decision.prior:
            raise TriageError(f"cannot undo your {what}: it was stored before triage kept what an undo needs")
        self._may_decide(lead)
        # An undo takes a decision back rather than making a move: SAL -> MQL is no move of
        # the lifecycle, so it is not checked against it.
        changes: dict[str, Any] = {"stage": Stage(decision.prior["stage"]), "owner": decision.prior.get("owner")}
        event = AuditEvent(
            lead_id=lead.id, actor=self.signature, at=utcnow(), action=UNDO,
            from_stage=lead.stage, to_stage=changes["stage"], note=f"undid the {what}", prior=_prior(lead),
        )
        return self._store(lead, changes, event), decision

    def recycle(self, lead_id: int, expected_version: int | None = None) -> Lead:
        """Marketing hands a nurtured lead back to sales as an MQL again."""
        self._may_market("recycle a nurtured lead")
        lead = self._current(lead_id, expected_version)
        lifecycle.check_move(lead.stage, Stage.MQL)
        if lead.stage is not Stage.RETURNED:
            raise TriageError(f"only a returned lead can be recycled; lead {lead_id} is {lead.stage.label}")
        return self._move(
            lead, Stage.MQL, "recycle",
            {"recycle_count": lead.recycle_count + 1, "handed_over_at": utcnow(), "owner": None},
        )

    def hand_over(self, lead_id: int, expected_version: int | None = None) -> Lead:
        """Marketing hands a new lead to sales as an MQL."""
        self._may_market("hand a lead over to sales")
        lead = self._current(lead_id, expected_version)
        lifecycle.check_move(lead.stage, Stage.MQL)
        return self._move(lead, Stage.MQL, "hand_over", {"handed_over_at": utcnow()})

    def take(self) -> Lead | None:
        """Take the next lead of the unassigned pool (queue order) as your own MQL; None
        when the pool is empty. Reps taking at the same moment never get the same lead."""
        self._may_take()
        event = AuditEvent(lead_id=0, actor=self.signature, at=utcnow(), action="take", note="taken from the pool")
        return self.store.take_next(event)

    def checklist(self, lead: Lead):
        return checklist(lead, self.rules)

    def set_answer(
        self, lead_id: int, question: str, value: str | None, expected_version: int | None = None
    ) -> Lead:
        """The rep confirms or overrides a checklist answer (None: back to the derived one);
        the lead is scored again and the change is audited."""
        check_override(question, value)
        lead = self._current(lead_id, expected_version)
        self._may_decide(lead)
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
            raise TriageError(f"'{grade}' is not a grade; use one of: {', '.join(GRADES)}")
        lead = self._current(lead_id, expected_version)
        self._may_decide(lead)
        note = f"grade {lead.grade or 'none'} → {grade or 'none'}"
        return self._change(lead, {"grade": grade or ""}, "grade", note)

    def _answer_text(self, lead: Lead, question: str) -> str:
        return next(item.answer for item in checklist(lead, self.rules) if item.question == question)

    def _rescored(self, lead: Lead, changes: dict[str, Any], action: str, note: str) -> Lead:
        scored = score_lead(lead.model_copy(update=changes), self.rules)
        note += f" (score {lead.score} → {scored.score})"
        changes = {**changes, "score": scored.score, "score_breakdown": scored.parts,
                   "rules_version": scored.rules_version}
        return self._change(lead, changes, action, note)

    def _change(self, lead: Lead, changes: dict[str, Any], action: str, note: str) -> Lead:
        event = AuditEvent(lead_id=lead.id, actor=self.signature, at=utcnow(), action=action, note=note)
        return self._store(lead, changes, event)

    def reload_rules(self) -> Rules:
        """The rules in force, read again from the database (another member may have
        adopted a version since)."""
        self.rules = self.rules_in_force()
        return self.rules

    def rules_in_force(self) -> Rules:
        """The newest version the team adopted; the rules shipped with triage until then."""
        found = self.store.rules_in_force()
        return default_rules() if found is None else found.rules()

    def _stamp_in_force(self) -> str:
        """The fingerprint of the rules in force, as stored: nothing parsed."""
        found = self.store.rules_in_force()
        return default_rules().stamp if found is None else found.stamp

    def rules_versions(self) -> list[RulesVersion]:
        return self.store.rules_versions()

    def may_adopt_rules(self) -> bool:
        """A team lead may; so may anybody while the team has no members."""
        return self.role() in (None, Role.LEAD)

    def scoring_report(self) -> "CalibrationReport":
        from triage.domain.calibration import calibrate  # numpy, only when a report is asked for

        return calibrate(self.store.decided_leads(), self.rules)

    def adopt_rules(self, proposal: Rules, note: str = "") -> str:
        """A team lead makes `proposal` the rules in force for the whole team: a new row
        of the rules' history. The caller then runs `rescore`. Says where it went."""
        self.require_team_lead("adopt new scoring rules")
        if proposal.stamp == self._stamp_in_force():
            raise TriageError(f"rules version {proposal.version} ({proposal.stamp}) are the rules in force already")
        text = rules_to_toml(proposal, f"triage scoring rules, version {proposal.version}, adopted by {self.actor}.")
        adopted = self.store.add_rules_version(version=proposal.version, stamp=proposal.stamp, text=text,
                                               adopted_by=self.actor, at=utcnow(), note=note)
        self.rules = adopted.rules()
        return f"the team's rules (#{adopted.number})"

    def revert_rules(self, number: int) -> RulesVersion:
        """Adopt an earlier version again (team lead): a new row, a copy of `number`'s."""
        self.require_team_lead("adopt new scoring rules")
        earlier = next((found for found in self.store.rules_versions() if found.number == number), None)
        if earlier is None:
            raise TriageError(f"there is no rules version #{number}; `triage scoring history` lists them")
        if earlier.stamp == self._stamp_in_force():
            raise TriageError(f"rules #{number} (version {earlier.version}) are the rules in force already")
        adopted = self.store.add_rules_version(version=earlier.version, stamp=earlier.stamp, text=earlier.text,
                                               adopted_by=self.actor, at=utcnow(), note=f"revert to #{number}")
        self.rules = adopted.rules()
        return adopted

    def use_rules(self, rules: Rules) -> None:
        """Score from now on by `rules`; `rescore` brings the stored leads in line."""
        self.rules = rules

    def count_to_rescore(self) -> int:
        """How many leads other rules scored; none for a member who does not score the
        team's leads again (a rep: the team lead's adoption does it)."""
        if not self.may_adopt_rules():
            return 0
        return self.store.count_to_rescore(self.rules.stamp)

    def rescore(self, progress: Callable[[int, int], None] | None = None, batch: int = RESCORE_BATCH) -> int:
        """Score every lead that other rules scored, a batch per transaction so that reps
        keep deciding meanwhile; `progress(done, total)` after each batch. A team lead's
        work (or anybody's while the team has no members)."""
        self.require_team_lead("score the team's leads again")
        stamp = self.rules.stamp
        total = self.store.count_to_rescore(stamp)
        done = after = 0
        if progress:
            progress(0, total)
        while leads := self.store.leads_to_rescore(stamp, after_id=after, limit=batch):
            scores = []
            for lead in leads:
                scored = score_lead(lead, self.rules)
                scores.append((lead, scored.score, scored.parts, scored.rules_version))
            self.store.save_scores(scores)
            done += len(leads)
            after = leads[-1].id
            if progress:
                progress(min(done, total), total)
        return done

    def _current(self, lead_id: int, expected_version: int | None) -> Lead:
        lead = self.lead(lead_id)
        if expected_version is not None and lead.version != expected_version:
            raise StaleLead(lead_id, lead.updated_by, lead.updated_at)
        return lead

    def _move(self, lead: Lead, to_stage: Stage, action: str, changes: dict[str, Any], **event: Any) -> Lead:
        now = utcnow()
        audit = AuditEvent(
            lead_id=lead.id, actor=self.signature, at=now, action=action,
            from_stage=lead.stage, to_stage=to_stage, **event,
        )
        return self._store(lead, {"stage": to_stage, **changes}, audit)

    def _store(self, lead: Lead, changes: dict[str, Any], event: AuditEvent) -> Lead:
        """Store one change; when the database fails on the way (a lost connection, a
        server restart), read the lead again to tell whether the change is in."""
        try:
            return self.store.change(lead, changes, event)
        except DatabaseError as exc:
            try:
                current = self.store.get(lead.id)
            except DatabaseError:
                raise DatabaseError(
                    f"{exc}; the database cannot be reached now, so whether the {event.action} of lead "
                    f"{lead.id} was stored is not known: check with `triage show {lead.id}` later"
                ) from exc
            if (current is not None and current.version == lead.version + 1
                    and current.updated_by == event.actor and current.updated_at == event.at):
                return current
            raise DatabaseError(f"{exc}; the {event.action} of lead {lead.id} was not stored: try again") from exc


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


def new_lead(
    data: LeadData,
    *,
    lead_id: int = 0,
    stage: Stage = Stage.MQL,
    owner: str | None = None,
    score: int | None = None,
    created_at=None,
    handed_over_at=None,
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


__all__ = ["LAST_KEY", "LeadService", "LeadStore", "QueuePage", "QueueView", "TriageError", "new_lead"]
