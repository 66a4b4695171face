"""The lead score, 0 to 100, with every part that makes it.

A lead's checklist answers become features ("channel.event" = 1, "signals.webmail" = 1,
"activity.emails_clicked" = 3); the rules give points per feature. The score is the base
plus the points of the features, and when that leaves 0..100 one more part says how
much was cut, so the parts shown always add up to the score shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from triage.domain.checklist import FIELD_LABELS, INTEREST_LABELS, Answers, answers
from triage.domain.models import Channel, Credit, Interest, LeadData, ScorePart
from triage.domain.rules import ACTIVITY_UNITS, Activity, Rules, Signal, default_rules

#: Activity counted for learning when the rules give it no cap of their own.
DEFAULT_ACTIVITY_CAP = 10
#: The parts that keep a score within 0..100, as a breakdown shows them.
CAPPED = "capped at the maximum of 100"
FLOORED = "raised to the minimum of 0"


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
        cap = _cap(activity, rules)
        if min(count, cap):
            found[f"activity.{activity.value}"] = min(count, cap)
    return found


def _cap(activity: Activity, rules: Rules) -> int:
    return rules.activity_cap(activity) if activity in rules.points.activity else DEFAULT_ACTIVITY_CAP


def activity_label(activity: Activity, count: int, cap: int) -> str:
    """An activity as a breakdown shows it, saying when only part of it counted:
    "3 clicks", "6 clicks (counted up to 5)"."""
    one, many = ACTIVITY_UNITS[activity]
    text = f"{count} {one if count == 1 else many}"
    return f"{text} (counted up to {cap})" if count > cap else text


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
        return activity_label(Activity(key), count, count)
    return feature


def feature_name(feature: str) -> str:
    """A feature as a report names it: "webmail", "clicks (each)"."""
    if feature.startswith("activity."):
        return ACTIVITY_UNITS[Activity(feature.partition(".")[2])][1] + " (each)"
    return feature_label(feature)


def score_lead(lead: LeadData, rules: Rules | None = None) -> Scored:
    rules = rules or default_rules()
    parts = [ScorePart(reason="base", points=rules.points.base)] if rules.points.base else []
    given = answers(lead, rules)
    for feature, value in features(given, rules).items():
        points = round(rules.feature_points(feature) * value)
        if points:
            group, _, key = feature.partition(".")
            if group == "activity":
                activity = Activity(key)
                label = activity_label(activity, given.activity[activity], _cap(activity, rules))
            else:
                label = feature_label(feature, value)
            parts.append(ScorePart(reason=label, points=points))
    total = sum(part.points for part in parts)
    if total > 100:
        parts.append(ScorePart(reason=CAPPED, points=100 - total))
    elif total < 0:
        parts.append(ScorePart(reason=FLOORED, points=-total))
    return Scored(max(0, min(100, total)), parts, rules.stamp)


def score(lead: LeadData, rules: Rules | None = None) -> int:
    return score_lead(lead, rules).score


def format_parts(parts: list[ScorePart]) -> str:
    """"+20 base, +30 demo request, -10 webmail"."""
    return ", ".join(f"{part.points:+d} {part.reason}" for part in parts)


class FastScorer:
    """`score_lead` for many fresh leads at once (an import): the same score and the same
    parts in the same order, from tables built once, without per-lead objects.

    Only for leads without checklist overrides; a test holds it equal to `score_lead`.
    """

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules = rules or default_rules()
        self.stamp = rules.stamp
        config, points = rules.checklist, rules.points
        self.config = config

        def part(feature: str, value: float = 1) -> tuple[str, int] | None:
            amount = round(rules.feature_points(feature) * value)
            return (feature_label(feature, value), amount) if amount else None

        self.base = [("base", points.base)] if points.base else []
        self.channel = {channel.value: part(f"channel.{channel.value}") for channel in Channel}
        self.interest = {interest.value: part(f"interest.{interest.value}") for interest in Interest}
        self.credit = {credit.value: part(f"credit.{credit.value}") for credit in Credit}
        self.customer = {kind: part(f"customer.{kind}") for kind in ("new", "existing")}
        self.signal = {signal: part(f"signals.{signal.value}") for signal in Signal}
        self.missing = [(name, part(f"missing.{name}")) for name in config.agreed_minimum]
        self.activity = [
            (activity.value, rules.activity_cap(activity) if activity in points.activity else DEFAULT_ACTIVITY_CAP,
             rules.feature_points(f"activity.{activity.value}"), ACTIVITY_UNITS[activity])
            for activity in Activity
        ]
        self._domains: dict[str, tuple[tuple[Signal, ...], bool]] = {}
        self._heads: dict[tuple, tuple[tuple[tuple[str, int], ...], int]] = {}
        #: Each activity's parts by count, filled as counts turn up.
        self._activity_parts: list[dict[int, tuple[str, int]]] = [{} for _ in self.activity]
        #: What a lead is scored on, in the order `score_values` takes it.
        self.fields = ("channel", "interest", "creditworthiness", "email", "existing_customer", "country", "notes",
                       *(name for name, _ in self.missing), *(name for name, *_ in self.activity))
        self._pick = itemgetter(*self.fields)
        self._first_activity = 7 + len(self.missing)
        self._applicant = re.compile("|".join(re.escape(word) for word in config.applicant_words)) \
            if config.applicant_words else None

    def _domain(self, domain: str) -> tuple[tuple[Signal, ...], bool]:
        """The signals a mail domain raises, and whether it is a customer's."""
        known = self._domains.get(domain)
        if known is None:
            from triage.domain.checklist import _matches

            config = self.config
            found = tuple(signal for signal, domains in (
                (Signal.WEBMAIL, config.free_mail_domains), (Signal.DISPOSABLE, config.disposable_domains),
                (Signal.COMPETITOR, config.competitor_domains)) if domain and _matches(domain, domains))
            known = (found, bool(domain) and _matches(domain, config.customer_domains))
            if len(self._domains) < 200_000:
                self._domains[domain] = known
        return known

    def _head(self, channel: Channel, interest: Interest, credit: Credit) -> tuple[tuple[tuple[str, int], ...], int]:
        parts = [*self.base, *(found for found in (self.channel[Channel(channel).value],
                                                    self.interest[Interest(interest).value],
                                                    self.credit[Credit(credit).value]) if found)]
        return tuple(parts), sum(amount for _, amount in parts)

    def _activity_part(self, index: int, count: int) -> tuple[str, int]:
        """The part `count` units of the `index`th activity earn (capped), or ("", 0)."""
        activity, cap, per_unit, _ = self.activity[index]
        counted = min(count, cap)
        amount = round(per_unit * counted) if counted else 0
        return (activity_label(Activity(activity), count, cap), amount) if amount else ("", 0)

    def score(self, lead: LeadData | dict[str, Any]) -> tuple[int, list[tuple[str, int]]]:
        """The score and its parts, of a lead or of a dict of its fields."""
        return self.score_values(self._pick(lead if isinstance(lead, dict) else lead.__dict__))

    def score_values(self, values: tuple) -> tuple[int, list[tuple[str, int]]]:
        """The score and its parts from the values of `fields`, in that order (an import
        scores a column of leads at a time)."""
        channel, interest, credit, email, existing, country, notes = values[:7]
        key = (channel, interest, credit)
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = self._head(*key)
        parts, total = list(head[0]), head[1]
        signals, customer_domain = self._domain(email.rpartition("@")[2].lower()) if email else ((), False)
        found = self.customer["existing" if existing or customer_domain else "new"]
        if found:
            parts.append(found)
            total += found[1]
        config = self.config
        if country and config.served_countries and country not in config.served_countries:
            signals = (*signals, Signal.COUNTRY_NOT_SERVED)
        if notes and self._applicant is not None and self._applicant.search(notes.casefold()):
            signals = (*signals, Signal.JOB_APPLICANT)
        for signal in signals:
            found = self.signal[signal]
            if found:
                parts.append(found)
                total += found[1]
        for position, (_, found) in enumerate(self.missing, 7):
            if found and not values[position]:
                parts.append(found)
                total += found[1]
        first = self._first_activity
        for index, table in enumerate(self._activity_parts):
            count = values[first + index]
            if count:
                found = table.get(count)
                if found is None:
                    found = table[count] = self._activity_part(index, count)
                if found[1]:
                    parts.append(found)
                    total += found[1]
        if total > 100:
            parts.append((CAPPED, 100 - total))
        elif total < 0:
            parts.append((FLOORED, -total))
        return max(0, min(100, total)), parts
