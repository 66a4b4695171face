"""The team's scoring rules: which are in force, adopting and reverting a version, what
the decisions say about them, and scoring the stored leads again after a change."""

from __future__ import annotations

import gc
import os
import signal
from collections import deque
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

from triage.domain.language import N_, _
from triage.domain.errors import TriageError
from triage.domain.models import Role, utcnow
from triage.domain.rules import Rules, RulesVersion, default_rules, rules_to_toml
from triage.domain.scoring import Scorer
from triage.files.processes import start_context, stderr_for_children
from triage.services.context import Context

if TYPE_CHECKING:
    from triage.domain.calibration import CalibrationReport

#: Leads scored per transaction by `Scoring.rescore`.
RESCORE_BATCH = 2000

#: Below this many leads to score, `Scoring.rescore` scores them itself: starting the
#: scoring processes would take longer than the scoring.
RESCORE_IN_PROCESSES_FROM = 20_000


class Scoring:
    def __init__(self, context: Context) -> None:
        self.context = context

    @property
    def rules(self) -> Rules:
        return self.context.rules

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
                cancelled: Callable[[], bool] | None = None, processes: int | None = None) -> int:
        """Score every lead that other rules scored, a batch per transaction so that reps
        keep deciding meanwhile; `progress(done, total)` after each batch, and it stops
        after the batch in which `cancelled()` turns true (what was scored stays scored).
        A team lead's work (or anybody's while the team has no members).

        From `RESCORE_IN_PROCESSES_FROM` leads on, `processes` child processes (one per
        core, at most two, unless given; 0 for none) score the batches with the same
        compiled `Scorer` while this thread reads the next batch and stores the last."""
        context = self.context
        context.require_team_lead(N_("score the team's leads again"))
        scorer = Scorer.of(context.rules)
        stamp, fields = scorer.stamp, scorer.fields
        store = context.store
        total = store.count_to_rescore(stamp)
        done = 0
        if progress:
            progress(0, total)
        if processes is None:
            processes = min(2, os.cpu_count() or 1) if total >= RESCORE_IN_PROCESSES_FROM else 0

        def batches() -> Iterator[list[tuple]]:
            # Each row: id, version, score, breakdown, queue key, overrides, then the values of `fields`.
            after = 0
            while rows := store.leads_to_rescore(stamp, fields, after_id=after, limit=batch):
                after = rows[-1][0]
                yield rows

        with _scored(batches(), context.rules, processes) as scored:
            for rows, scores in scored:
                store.save_scores(stamp, [(row, score, parts) for row, (score, parts) in zip(rows, scores, strict=True)])
                done += len(rows)
                if progress:
                    progress(min(done, total), total)
                if cancelled is not None and cancelled():
                    break
        return done


Scored = Iterator[tuple[list[tuple], list[tuple[int, tuple]]]]


@contextmanager
def _scored(batches: Iterator[list[tuple]], rules: Rules, processes: int) -> Iterator[Scored]:
    """Each batch of `rescore`'s rows with the score and parts of each row, in the batches'
    order. By `processes` child processes, each sent the rules once, kept a few batches
    ahead of the caller and ended when the context is left, even early; by this thread
    when `processes` is 0 or no process can be started."""
    from concurrent.futures import ProcessPoolExecutor  # only a rescore starts processes: not at every start
    from concurrent.futures.process import BrokenProcessPool

    pool: ProcessPoolExecutor | None = None
    if processes > 0:
        try:
            with stderr_for_children():
                pool = ProcessPoolExecutor(processes, mp_context=start_context(), initializer=_start_scoring,
                                           initargs=(rules,))
        except (OSError, ValueError):
            pool = None
    if pool is None:
        score = Scorer.of(rules).score_values
        yield ((rows, [score(row[6:], row[5]) for row in rows]) for rows in batches)
        return

    def in_processes() -> Scored:
        assert pool is not None
        waiting: deque = deque()
        try:
            for rows in batches:
                waiting.append((rows, pool.submit(_score_rows, [(row[5], row[6:]) for row in rows])))
                if len(waiting) > 2 * processes:
                    rows, result = waiting.popleft()
                    yield rows, result.result()
            while waiting:
                rows, result = waiting.popleft()
                yield rows, result.result()
        except BrokenProcessPool:  # a scoring process killed from outside: never wait for it
            raise TriageError(_("a scoring process ended before it scored its leads; the leads scored until then "
                                "are stored: start the rescore again")) from None

    try:
        yield in_processes()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a batch under way ends its process soon after


_scorer: Scorer | None = None


def _start_scoring(rules: Rules) -> None:
    """In a scoring process: compile the rules once. Ctrl-C is the caller's to handle
    (it ends these processes), not a traceback from each of them."""
    global _scorer
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # scoring makes no reference cycles; the collector would only slow it down
    _scorer = Scorer.of(rules)


def _score_rows(rows: list[tuple[dict[str, str] | None, tuple]]) -> list[tuple[int, tuple]]:
    """In a scoring process: the score and parts of each (overrides, values of the scorer's fields)."""
    assert _scorer is not None
    score = _scorer.score_values
    return [score(values, overrides) for overrides, values in rows]
