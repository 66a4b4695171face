"""The one state machine that decides which stage moves are legal."""

from __future__ import annotations

from datetime import datetime

from triage.domain.errors import IllegalMove
from triage.domain.models import Stage

MOVES: dict[Stage, frozenset[Stage]] = {
    Stage.NEW: frozenset({Stage.MQL, Stage.DISQUALIFIED}),
    Stage.MQL: frozenset({Stage.SAL, Stage.RETURNED, Stage.DISQUALIFIED}),
    Stage.SAL: frozenset({Stage.SQL, Stage.RETURNED, Stage.DISQUALIFIED}),
    Stage.SQL: frozenset({Stage.OPPORTUNITY, Stage.RETURNED, Stage.DISQUALIFIED}),
    Stage.OPPORTUNITY: frozenset({Stage.CUSTOMER, Stage.RETURNED, Stage.DISQUALIFIED}),
    # A customer stays a lead for upsell but leaves the funnel only by being lost.
    Stage.CUSTOMER: frozenset({Stage.RETURNED}),
    # Marketing nurtures a returned lead until it can come back as an MQL.
    Stage.RETURNED: frozenset({Stage.MQL, Stage.DISQUALIFIED}),
    # Final, except that the review board may overturn a disqualification and send the lead
    # back to sales (the service lets only the board and team leads do it).
    Stage.DISQUALIFIED: frozenset({Stage.MQL}),
}

#: Stages sales can return a lead from (to nurture or disqualification).
RETURNABLE = frozenset(stage for stage, targets in MOVES.items() if Stage.RETURNED in targets)


def can_move(from_stage: Stage, to_stage: Stage) -> bool:
    return to_stage in MOVES[from_stage]


def check_move(from_stage: Stage, to_stage: Stage, *, lead_id: int | None = None, by: str = "",
               at: datetime | None = None) -> None:
    """Raise IllegalMove unless the move is legal; `lead_id`, and who put the lead where it
    is and when (`by`, `at`), when known, make the refusal name them."""
    if not can_move(from_stage, to_stage):
        raise IllegalMove(from_stage, to_stage, lead_id=lead_id, by=by, at=at)
