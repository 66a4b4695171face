"""The lead score, 0 to 100, with every part that makes it.

A lead's checklist answers become features ("channel.event" = 1, "signals.webmail" = 1,
"activity.emails_clicked" = 3); the rules give points per feature. The score is the base
plus the points of the features, and when that leaves 0..100 one more part says how
much was cut, so the parts shown always add up to the score shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checklist import FIELD_LABELS, INTEREST_LABELS, Answers, answers
from .models import Credit, Interest, LeadData, ScorePart
from .rules import ACTIVITY_UNITS, Activity, Rules, Signal, default_rules

#: Activity counted for learning when the rules give it no cap of their own.
DEFAULT_ACTIVITY_CAP = 10


@dataclass(frozen=True)
class Scored:
    score: int
    parts: list[ScorePart]
    rules_version: str


def features(given: Answers, rules: Rules) -> dict[str, float]:
    """Every feature of the answers, with zero points or not: scoring and learning share them."""
    found: dict[str, float] = {
        f"channel.{given.channel.value}": 1,
        f"interest.{given.interest.value}": 1,
        f"credit.{given.credit.value}": 1,
        f"customer.{given.customer}": 1,
    }
    for signal in given.signals:
        found[f"signals.{signal.value}"] = 1
    for name in given.missing:
        found[f"missing.{name}"] = 1
    for activity, count in given.activity.items():
        cap = rules.activity_cap(activity) if activity in rules.points.activity else DEFAULT_ACTIVITY_CAP
        if min(count, cap):
            found[f"activity.{activity.value}"] = min(count, cap)
    return found


def feature_label(feature: str, value: float = 1) -> str:
    """How a feature reads in a breakdown: "demo request", "webmail", "3 clicks"."""
    group, _, key = feature.partition(".")
    if group == "channel":
        return f"channel {key.replace('_', ' ')}"
    if group == "interest":
        return INTEREST_LABELS[Interest(key)].removesuffix(" (handraiser)")
    if group == "credit":
        return "credit unknown" if key == Credit.UNKNOWN else f"credit {key}"
    if group == "customer":
        return f"{key} customer"
    if group == "signals":
        return Signal(key).label
    if group == "missing":
        return f"no {FIELD_LABELS.get(key, key)}"
    if group == "activity":
        count = int(value)
        one, many = ACTIVITY_UNITS[Activity(key)]
        return f"{count} {one if count == 1 else many}"
    return feature


def feature_name(feature: str) -> str:
    """A feature as a report names it: "webmail", "clicks (each)"."""
    if feature.startswith("activity."):
        return ACTIVITY_UNITS[Activity(feature.partition(".")[2])][1] + " (each)"
    return feature_label(feature)


def score_lead(lead: LeadData, rules: Rules | None = None) -> Scored:
    rules = rules or default_rules()
    parts = [ScorePart(reason="base", points=rules.points.base)] if rules.points.base else []
    for feature, value in features(answers(lead, rules), rules).items():
        points = round(rules.feature_points(feature) * value)
        if points:
            parts.append(ScorePart(reason=feature_label(feature, value), points=points))
    total = sum(part.points for part in parts)
    if total > 100:
        parts.append(ScorePart(reason="capped at 100", points=100 - total))
    elif total < 0:
        parts.append(ScorePart(reason="floored at 0", points=-total))
    return Scored(max(0, min(100, total)), parts, rules.stamp)


def score(lead: LeadData, rules: Rules | None = None) -> int:
    return score_lead(lead, rules).score


def format_parts(parts: list[ScorePart]) -> str:
    """"+20 base, +30 demo request, -10 webmail"."""
    return ", ".join(f"{part.points:+d} {part.reason}" for part in parts)
