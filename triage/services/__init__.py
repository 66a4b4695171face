"""The work triage does, one service per area, over one shared `Context`.

`Services.open(store, actor)` makes them all for one member: `decisions` (a rep's queue and
decisions), `team` (members, assignment, SLA, balance), `review` (the review board),
`transfer` (import and export) and `scoring` (the rules, the report, rescoring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from triage.domain.models import utcnow
from triage.domain.rules import Rules
from triage.services.context import Context
from triage.services.decisions import Decisions, new_lead
from triage.services.review import ReviewBoard
from triage.services.scoring import Scoring
from triage.services.store import LeadStore
from triage.services.team import Team
from triage.services.transfer import Transfer


@dataclass(frozen=True)
class Services:
    context: Context
    decisions: Decisions
    team: Team
    review: ReviewBoard
    transfer: Transfer
    scoring: Scoring

    @classmethod
    def open(cls, store: LeadStore, actor: str, rules: Rules | None = None, *, acting_for: str = "",
             clock: Callable[[], datetime] = utcnow) -> Services:
        context = Context(store, actor, rules, acting_for=acting_for, clock=clock)
        team = Team(context)
        review = ReviewBoard(context)
        return cls(context=context, decisions=Decisions(context), team=team, review=review,
                   transfer=Transfer(context, team, review), scoring=Scoring(context))

    @property
    def actor(self) -> str:
        return self.context.actor

    @property
    def rules(self) -> Rules:
        return self.context.rules


__all__ = ["Context", "Decisions", "LeadStore", "ReviewBoard", "Scoring", "Services", "Team", "Transfer", "new_lead"]
