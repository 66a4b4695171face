"""The team's scoring rules: which are in force, adopting and reverting a version, what
the decisions say about them, and scoring the stored leads again after a change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from triage.domain.language import N_, _
from triage.domain.errors import TriageError
from triage.domain.models import Role, utcnow
from triage.domain.rules import Rules, RulesVersion, default_rules, rules_to_toml
from triage.domain.scoring import Scorer
from triage.services.context import Context

if TYPE_CHECKING:
    from triage.domain.calibration import CalibrationReport

#: Leads scored per transaction by `Scoring.rescore`.
RESCORE_BATCH = 2000


class Scoring:
    def __init__(self, context: Context) -> None:
        self.context = context

    @property
    def rules(self) -> Rules:
        return self.context.rules

    def use_rules(self, rules: Rules) -> None:
        """Score from now on by `rules`; `rescore` brings the stored leads in line."""
        self.context.rules = rules

    def reload_rules(self) -> Rules:
        """The rules in force, read again from the database (another member may have
        adopted a version since)."""
        self.context.rules = self.rules_in_force()
        return self.context.rules

    def rules_in_force(self) -> Rules:
        """The newest version the team adopted; the rules shipped with triage until then."""
        found = self.context.store.rules_in_force()
        return default_rules() if found is None else found.rules()

    def stamp_in_force(self) -> str:
        """The fingerprint of the rules in force, as stored: nothing parsed."""
        found = self.context.store.rules_in_force()
        return default_rules().stamp if found is None else found.stamp

    def rules_versions(self) -> list[RulesVersion]:
        return self.context.store.rules_versions()

    def may_adopt_rules(self) -> bool:
        """A team lead may; so may anybody while the team has no members."""
        return self.context.role() in (None, Role.LEAD)

    def report(self) -> CalibrationReport:
        from triage.domain.calibration import calibrate  # numpy, only when a report is asked for

        return calibrate(self.context.store.decided_leads(), self.context.rules)

    def adopt_rules(self, proposal: Rules, note: str = "") -> str:
        """A team lead makes `proposal` the rules in force for the whole team: a new row
        of the rules' history. The caller then runs `rescore`. Says where it went."""
        context = self.context
        context.require_team_lead(N_("adopt new scoring rules"))
        if proposal.stamp == self.stamp_in_force():
            raise TriageError(_("rules version {version} ({stamp}) are the rules in force already").format(
                version=proposal.version, stamp=proposal.stamp))
        text = rules_to_toml(proposal, f"triage scoring rules, version {proposal.version}, adopted by {context.actor}.")
        adopted = context.store.add_rules_version(version=proposal.version, stamp=proposal.stamp, text=text,
                                                  adopted_by=context.actor, at=utcnow(), note=note)
        context.rules = adopted.rules()
        return _("the team's rules (#{number})").format(number=adopted.number)

    def revert_rules(self, number: int) -> RulesVersion:
        """Adopt an earlier version again (team lead): a new row, a copy of `number`'s."""
        context = self.context
        context.require_team_lead(N_("adopt new scoring rules"))
        earlier = next((found for found in context.store.rules_versions() if found.number == number), None)
        if earlier is None:
            raise TriageError(_("there is no rules version #{number}; `triage scoring history` lists them").format(
                number=number))
        if earlier.stamp == self.stamp_in_force():
            raise TriageError(_("rules #{number} (version {version}) are the rules in force already").format(
                number=number, version=earlier.version))
        adopted = context.store.add_rules_version(version=earlier.version, stamp=earlier.stamp, text=earlier.text,
                                                  adopted_by=context.actor, at=utcnow(), note=f"revert to #{number}")
        context.rules = adopted.rules()
        return adopted

    def count_to_rescore(self) -> int:
        """How many leads other rules scored; none for a member who does not score the
        team's leads again (a rep: the team lead's adoption does it)."""
        if not self.may_adopt_rules():
            return 0
        return self.context.store.count_to_rescore(self.context.rules.stamp)

    def rescore(self, progress: Callable[[int, int], None] | None = None, batch: int = RESCORE_BATCH,
                cancelled: Callable[[], bool] | None = None) -> int:
        """Score every lead that other rules scored, a batch per transaction so that reps
        keep deciding meanwhile; `progress(done, total)` after each batch, and it stops
        after the batch in which `cancelled()` turns true (what was scored stays scored).
        A team lead's work (or anybody's while the team has no members)."""
        context = self.context
        context.require_team_lead(N_("score the team's leads again"))
        scorer = Scorer.of(context.rules)
        stamp, fields, score = scorer.stamp, scorer.fields, scorer.score_values
        total = context.store.count_to_rescore(stamp)
        done = after = 0
        if progress:
            progress(0, total)
        # Each row: id, version, score, breakdown, queue key, overrides, then the values of `fields`.
        while rows := context.store.leads_to_rescore(stamp, fields, after_id=after, limit=batch):
            context.store.save_scores(stamp, [(row, *score(row[6:], row[5])) for row in rows])
            done += len(rows)
            after = rows[-1][0]
            if progress:
                progress(min(done, total), total)
            if cancelled is not None and cancelled():
                break
        return done
