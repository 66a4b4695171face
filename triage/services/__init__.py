"""The work triage does, one service per area, over one shared `Context`.

`Services.open(store, actor)` makes them all for one member: `decisions` (a rep's queue and
decisions), `team` (members, assignment, SLA, balance), `review` (the review board),
`transfer` (import and export) and `scoring` (the rules, the report, rescoring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable

from triage.domain.models import utcnow
from triage.domain.rules import Rules
from triage.services.context import Context
from triage.services.decisions import Decisions, new_lead
from triage.services.review import ReviewBoard
from triage.services.scoring import Scoring
from triage.services.store import LeadStore
from triage.services.team import Team

if TYPE_CHECKING:
    from triage.services.transfer import Transfer


@dataclass(frozen=True)
class Services:
    context: Context
    decisions: Decisions
    team: Team
    review: ReviewBoard
    scoring: Scoring

    @classmethod
    def open(cls, store: LeadStore, actor: str, rules: Rules | None = None, *, acting_for: str = "",
             clock: Callable[[], datetime] = utcnow) -> Services:
        context = Context(store, actor, rules, acting_for=acting_for, clock=clock)
        team = Team(context)
        review = ReviewBoard(context)
        return cls(context=context, decisions=Decisions(context), team=team, review=review, scoring=Scoring(context))

    @cached_property
    def transfer(self) -> Transfer:
        """Made when first used: its module loads the file readers and writers (pydantic's
        row validation, CSV, XLSX), which the app's first screen does not need."""
        from triage.services.transfer import Transfer

        return Transfer(self.context, self.team, self.review)

    @property
    def actor(self) -> str:
        return self.context.actor

    @property
    def rules(self) -> Rules:
        return self.context.rules


def __getattr__(name: str) -> Any:
    """`Transfer` on first use, as `Services.transfer` is."""
    if name == "Transfer":
        from triage.services.transfer import Transfer

        return Transfer
    raise AttributeError(name)


__all__ = ["Context", "Decisions", "LeadStore", "ReviewBoard", "Scoring", "Services", "Team", "Transfer", "new_lead"]
