"""Learning from decisions: which answers mark the leads sales accepts.

From the stored accept and return decisions this counts, per checklist answer, how often
sales accepted, and fits a regularised logistic regression on the same features the
rules score. Its weights become proposed points (`POINTS_PER_LOGIT` points per unit of
log-odds, so a score of 50 means even odds). The fit uses three quarters of the decided
leads; the rest are held back to measure how well the current and the proposed rules
rank them (AUC: the chance that an accepted lead scores above a returned one). A
proposal is only made from enough decisions, and is only adopted when a team lead says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from triage.domain.checklist import answers
from triage.domain.models import Lead
from triage.domain.rules import Activity, Points, Rules
from triage.domain.scoring import feature_name, features, score_lead
from triage.domain.language import _, counted, decimal, ngettext, number

if TYPE_CHECKING:
    import numpy as np

MIN_DECISIONS = 200
MIN_EACH_OUTCOME = 30
#: A feature seen on fewer decided leads keeps its current points.
MIN_FEATURE_COUNT = 20
POINTS_PER_LOGIT = 10
#: The L2 penalty: pulls weights of rarely decisive answers towards zero.
PENALTY = 1.0
HELD_BACK_SHARE = 4  # every fourth lead, by a hash of its id


@dataclass
class FeatureFigures:
    feature: str
    label: str
    decided: int
    accepted: int
    current_points: float
    proposed_points: float | None = None

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.decided if self.decided else 0.0


@dataclass
class CalibrationReport:
    decided: int
    accepted: int
    rules: Rules
    features: list[FeatureFigures] = field(default_factory=list)
    #: None when there were too few decisions; `message` says why.
    proposal: Rules | None = None
    message: str = ""
    held_back: int = 0
    auc_current: float | None = None
    auc_proposed: float | None = None
    base_current: int = 0
    base_proposed: int | None = None

    @property
    def returned(self) -> int:
        return self.decided - self.accepted

    def summary(self) -> list[str]:
        """The report's head in sentences, for the command line and the screen alike."""
        lines = [
            _("Scoring rules version {version} ({source}): {decided}, {accepted} accepted, {returned} returned.").format(
                version=self.rules.version, source=self.rules.source or _("proposed"),
                decided=counted(self.decided, "{count} decided lead", "{count} decided leads"),
                accepted=number(self.accepted), returned=number(self.returned)),
            self.message[:1].upper() + self.message[1:] + ".",
        ]
        if self.auc_current is not None and self.auc_proposed is not None:
            lines.append(
                ngettext("Ranking of the {count} held-back decision (AUC, 0.5 is chance): "
                         "current {current}, proposed {proposed}.",
                         "Ranking of the {count} held-back decisions (AUC, 0.5 is chance): "
                         "current {current}, proposed {proposed}.", self.held_back).format(
                    count=number(self.held_back), current=decimal(self.auc_current, 3),
                    proposed=decimal(self.auc_proposed, 3))
            )
            if self.ranks_worse:
                lines.append(_("The proposal ranks the held-back decisions worse than the rules in force."))
        elif self.auc_current is not None:
            lines.append(
                _("Ranking of the {count} held-back decisions (AUC, 0.5 is chance): current {current}.").format(
                    count=self.held_back, current=decimal(self.auc_current, 3))
            )
        return lines

    @property
    def ranks_worse(self) -> bool:
        """The proposal ranks held-back decisions worse than the rules in force."""
        return (self.auc_current is not None and self.auc_proposed is not None
                and self.auc_proposed < self.auc_current)


def is_held_back(lead_id: int) -> bool:
    """Deterministic, and spread evenly over ids however they were numbered."""
    return (lead_id * 2654435761) % 2**32 % HELD_BACK_SHARE == 0


def auc(scores: Iterable[float], accepted: Iterable[bool]) -> float | None:
    """Area under the ROC curve with ties counted half; None without both outcomes."""
    import numpy as np

    values = np.asarray(list(scores), dtype=float)
    labels = np.asarray(list(accepted), dtype=bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        return None
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def fit_logistic(x: np.ndarray, y: np.ndarray, penalty: float = PENALTY, rounds: int = 50) -> tuple[float, np.ndarray]:
    """Intercept and weights by Newton's method on the L2-penalised log-likelihood
    (the intercept is not penalised)."""
    import numpy as np

    n, d = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    weights = np.zeros(d + 1)
    ridge = np.full(d + 1, penalty)
    ridge[0] = 0.0
    for _round in range(rounds):
        p = 1 / (1 + np.exp(-np.clip(design @ weights, -30, 30)))
        gradient = design.T @ (y - p) - ridge * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(ridge) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, gradient)
        weights += step
        if np.abs(step).max() < 1e-7:
            break
    return float(weights[0]), weights[1:]


def next_version(version: str) -> str:
    match = re.search(r"(\d+)$", version)
    if match:
        return version[: match.start()] + str(int(match.group(1)) + 1)
    return f"{version}-2"


def _proposed_points(rules: Rules, intercept: float, weights: dict[str, float]) -> Points:
    current = rules.points
    tables: dict[str, dict] = {
        group: {str(key): value for key, value in getattr(current, group).items()}
        for group in ("channel", "interest", "credit", "customer", "signals", "missing")
    }
    activity = {str(key): rule.model_dump() for key, rule in current.activity.items()}
    for feature, weight in weights.items():
        group, _dot, key = feature.partition(".")
        if group == "activity":
            entry = activity.setdefault(key, {"points": 0, "cap": rules.activity_cap(Activity(key)) or 10})
            entry["points"] = round(POINTS_PER_LOGIT * weight, 1)
        else:
            tables[group][key] = round(POINTS_PER_LOGIT * weight)
    return Points.model_validate(
        {"base": round(50 + POINTS_PER_LOGIT * intercept), **tables, "activity": activity}
    )


def calibrate(decisions: Iterable[tuple[Lead, bool]], rules: Rules) -> CalibrationReport:
    """Acceptance per answer, and proposed rules when the decisions suffice."""
    rows: list[tuple[dict[str, float], bool, bool, int, Lead]] = []
    for lead, was_accepted in decisions:
        found = features(answers(lead, rules), rules)
        rows.append((found, was_accepted, is_held_back(lead.id), score_lead(lead, rules).score, lead))
    decided = len(rows)
    accepted = sum(1 for row in rows if row[1])
    report = CalibrationReport(decided=decided, accepted=accepted, rules=rules, base_current=rules.points.base)

    counts: dict[str, list[int]] = {}
    for found, was_accepted, *_rest in rows:
        for feature in found:
            tally = counts.setdefault(feature, [0, 0])
            tally[0] += 1
            tally[1] += was_accepted
    report.features = sorted(
        (
            FeatureFigures(feature, feature_name(feature), tally[0], tally[1], rules.feature_points(feature))
            for feature, tally in counts.items()
        ),
        key=lambda figures: figures.feature,
    )

    returned = decided - accepted
    if decided < MIN_DECISIONS or accepted < MIN_EACH_OUTCOME or returned < MIN_EACH_OUTCOME:
        report.message = (
            _("too few decisions to propose new points: {decided} decided ({accepted} accepted, "
              "{returned} returned); at least {minimum}, with {each} of each, are needed").format(
                decided=decided, accepted=accepted, returned=returned, minimum=MIN_DECISIONS, each=MIN_EACH_OUTCOME)
        )
        return report

    import numpy as np  # here, not at the top: the app starts faster without it

    training = [row for row in rows if not row[2]]
    held = [row for row in rows if row[2]]
    fitted = sorted(feature for feature, tally in counts.items() if tally[0] >= MIN_FEATURE_COUNT)
    index = {feature: column for column, feature in enumerate(fitted)}
    x = np.zeros((len(training), len(fitted)))
    y = np.array([row[1] for row in training], dtype=float)
    for line, (found, *_rest) in enumerate(training):
        for feature, value in found.items():
            if feature in index:
                x[line, index[feature]] = value
    intercept, weights = fit_logistic(x, y)
    points = _proposed_points(rules, intercept, dict(zip(fitted, weights.tolist(), strict=True)))
    report.held_back = len(held)
    report.auc_current = auc([row[3] for row in held], [row[1] for row in held])
    if points == rules.points:
        # The fit does not depend on the points in force, so right after a proposal is
        # adopted the same decisions fit to the same points again: nothing new to offer.
        report.message = (
            _("the rules in force are the points these {decided} decisions suggest: nothing new to propose "
              "until more decisions come in").format(decided=decided)
        )
        return report
    proposal = rules.model_copy(update={"version": next_version(rules.version), "points": points, "source": ""})
    report.proposal = proposal
    report.base_proposed = points.base
    for figures in report.features:
        if figures.feature in index:
            figures.proposed_points = proposal.feature_points(figures.feature)
    report.auc_proposed = auc([score_lead(row[4], proposal).score for row in held], [row[1] for row in held])
    report.message = (
        _("proposal from {decisions}, measured on {held} held back").format(
            decisions=counted(len(training), "{count} decision", "{count} decisions"), held=number(len(held)))
    )
    return report
