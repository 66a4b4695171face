"""What every service shares: the store, who acts, the rules in force and the clock.

Roles are enforced here, not only hidden in screens: a rep decides only their own leads
and pool leads, a team lead decides any lead, assigns, reassigns and changes the team, the
review board reads and exports, and marketing brings leads in, hands them over and
recycles them. A database with no team members yet enforces nothing, so one person
triaging alone is never in their own way.
"""

from __future__ import annotations

from datetime import datetime
from time import monotonic
from typing import Callable

from triage.domain.language import _
from triage.domain.errors import LeadNotFound, RoleRefused, StaleLead
from triage.domain.models import Lead, Role, TeamMember, utcnow
from triage.domain.rules import Rules, default_rules
from triage.services.store import LeadStore

#: How long a service trusts what it read of its actor's role.
ROLE_SECONDS = 2.0


class Context:
    def __init__(self, store: LeadStore, actor: str, rules: Rules | None = None, *, acting_for: str = "",
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        #: Whose work this is: whose leads, whose role. With `acting_for`, a team lead acts
        #: as that member, and the audit trail names both ("lena as anna").
        self.actor = acting_for or actor
        self.signature = f"{actor} as {acting_for}" if acting_for and acting_for != actor else actor
        #: The rules every service scores and times by; `Scoring` changes them for all.
        self.rules = rules or default_rules()
        self.clock = clock
        self._role_cache: tuple[float, tuple[TeamMember | None, int]] | None = None

    def lead(self, lead_id: int) -> Lead:
        lead = self.store.get(lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        return lead

    def current(self, lead_id: int, expected_version: int | None) -> Lead:
        """The lead, refused as stale when someone changed it since the caller read it."""
        if expected_version is None:
            lead = self.lead(lead_id)
        else:  # the change that follows is refused if the lead is no longer at that version
            found = self.store.get_at(lead_id, expected_version)
            if found is None:
                raise LeadNotFound(lead_id)
            lead = found
        if expected_version is not None and lead.version != expected_version:
            raise StaleLead(lead_id, lead.updated_by, lead.updated_at)
        return lead

    # --- roles ---------------------------------------------------------------------------

    def role(self, *, fresh: bool = True) -> Role | None:
        """The actor's role; None when the team is empty and nothing is enforced.

        Decisions and takes (`fresh=False`) read it again at most every `ROLE_SECONDS`: a rep
        deciding lead after lead does not ask the database who they are each time, and a
        change of role counts within seconds. Everything else reads it fresh."""
        cached = self._role_cache
        now = monotonic()
        if not fresh and cached is not None and now - cached[0] < ROLE_SECONDS:
            member, size = cached[1]
        else:
            member, size = self.store.membership(self.actor)
            self._role_cache = (now, (member, size))
        if size == 0:
            return None
        if member is None:
            raise RoleRefused(
                _("{actor} is not on the team: a team lead adds you with "
                  "`triage team add {actor} --name NAME --role rep`").format(actor=self.actor)
            )
        return member.role

    def forget_role(self) -> None:
        """Read the actor's role afresh on the next check (after the team changed)."""
        self._role_cache = None

    def require_team_lead(self, what: str) -> None:
        role = self.role()
        if role is not None and role is not Role.LEAD:
            raise RoleRefused(_("only a team lead may {what}; {actor} is {role}").format(
                what=_(what), actor=self.actor, role=role.label))

    def may_decide(self, lead: Lead) -> None:
        role = self.role(fresh=False)
        if role is Role.BOARD:
            raise RoleRefused(
                _("{actor} is on the review board, which reads and exports leads; "
                  "reps and team leads decide them").format(actor=self.actor)
            )
        if role is Role.REP and lead.owner not in (None, self.actor):
            raise RoleRefused(_("lead {id} is assigned to {owner}; only {owner} or a team lead decides it").format(
                id=lead.id, owner=lead.owner))

    def may_market(self, what: str) -> None:
        """Marketing's moves (import, hand-over, recycle): marketing's and the team lead's."""
        role = self.role(fresh=False)
        if role not in (None, Role.MARKETING, Role.LEAD):
            assert role is not None
            raise RoleRefused(_("only marketing or a team lead may {what}; {actor} is {role}").format(
                what=_(what), actor=self.actor, role=role.label))

    def may_take(self) -> None:
        if self.role(fresh=False) is Role.BOARD:
            raise RoleRefused(_("{actor} is on the review board, which does not take leads").format(actor=self.actor))

    def require_board(self, what: str) -> None:
        """The review board's reading and judging: the board's and the team lead's."""
        if self.role() is Role.REP:
            raise RoleRefused(_("only the review board or a team lead may {what}; {actor} is {role}").format(
                what=_(what), actor=self.actor, role=Role.REP.label))
