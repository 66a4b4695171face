"""The lead score, 0 to 100, with every part that makes it.

A lead's checklist answers become features ("channel.event" = 1, "signals.webmail" = 1,
"activity.emails_clicked" = 3); the rules give points per feature. The score is the base
plus the points of the features, and when that leaves 0..100 one more part says how
much was cut, so the parts shown always add up to the score shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, Callable

from triage.domain.checklist import FIELD_LABELS, INTEREST_LABELS, Answers, compiled, with_overrides
from triage.domain.language import N_, _, current, ngettext, number
from triage.domain.models import INTEREST_LABELS as MODEL_INTEREST_LABELS
from triage.domain.models import Channel, Credit, Interest, LeadData, ScorePart
from triage.domain.rules import ACTIVITY_UNITS, SIGNAL_LABELS, Activity, ContactField, Rules, Signal, default_rules

#: Activity counted for learning when the rules give it no cap of their own.
DEFAULT_ACTIVITY_CAP = 10
#: The parts that keep a score within 0..100, as a breakdown stores them.
CAPPED = N_("capped at the maximum of 100")
FLOORED = N_("raised to the minimum of 0")


@dataclass(frozen=True)
class Scored:
    score: int
    parts: list[ScorePart]
    rules_version: str


def features(given: Answers, rules: Rules) -> dict[str, float]:
    """Every feature of the answers, with zero points or not: scoring and learning share them."""
    return Scorer.of(rules).features(given)


def _cap(activity: Activity, rules: Rules) -> int:
    return rules.activity_cap(activity) if activity in rules.points.activity else DEFAULT_ACTIVITY_CAP


def activity_label(activity: Activity, count: int, cap: int) -> str:
    """An activity as a breakdown stores it, saying when only part of it counted:
    "3 clicks", "6 clicks (counted up to 5)". A breakdown is stored in English (it is data,
    for `--json` and exports too) and shown with `reason_text`."""
    one, many = ACTIVITY_UNITS[activity]
    text = f"{count} {one if count == 1 else many}"
    return f"{text} (counted up to {cap})" if count > cap else text


def feature_label(feature: str, value: float = 1) -> str:
    """How a feature reads in a stored breakdown: "demo request", "webmail", "3 clicks"
    (English; `reason_text` says it in the language in use)."""
    group, _dot, key = feature.partition(".")
    if group == "channel":
        return f"channel {key.replace('_', ' ')}"
    if group == "interest":
        return INTEREST_LABELS[Interest(key)].removesuffix(" (handraiser)")
    if group == "credit":
        return "credit unknown" if key == Credit.UNKNOWN else f"credit {key}"
    if group == "customer":
        return f"{key} customer"
    if group == "signals":
        return SIGNAL_LABELS[Signal(key)]  # English: a breakdown is stored so (see reason_text)
    if group == "missing":
        return f"no {FIELD_LABELS.get(key, key)}"
    if group == "activity":
        count = int(value)
        return activity_label(Activity(key), count, count)
    return feature


def feature_name(feature: str) -> str:
    """A feature as a report names it, in the language in use: "webmail", "clicks (each)"."""
    if feature.startswith("activity."):
        return _ACTIVITY_EACH[Activity(feature.partition(".")[2])]()
    return reason_text(feature_label(feature))


_ACTIVITY_EACH: dict[Activity, Callable[[], str]] = {
    Activity.EMAILS_OPENED: partial(_, N_("opens (each)")),
    Activity.EMAILS_CLICKED: partial(_, N_("clicks (each)")),
    Activity.PAGES_VISITED: partial(_, N_("buying pages (each)")),
    Activity.FORMS_FILLED: partial(_, N_("forms (each)")),
}


def _activity_count(activity: Activity, count: int) -> str:
    if activity is Activity.EMAILS_OPENED:
        text = ngettext("{count} open", "{count} opens", count)
    elif activity is Activity.EMAILS_CLICKED:
        text = ngettext("{count} click", "{count} clicks", count)
    elif activity is Activity.PAGES_VISITED:
        text = ngettext("{count} buying page", "{count} buying pages", count)
    else:
        text = ngettext("{count} form", "{count} forms", count)
    return text.format(count=number(count))


_ACTIVITY_REASON = re.compile(r"(\d+) (.+?)(?: \(counted up to (\d+)\))?")
_UNITS = {unit: activity for activity, units in ACTIVITY_UNITS.items() for unit in units}


def _channel_reason(channel: Channel) -> str:
    return _("channel {name}").format(name=channel.label)


def _credit_reason(credit: Credit) -> str:
    return _("credit unknown") if credit is Credit.UNKNOWN else _("credit {grade}").format(grade=credit.value)


def _missing_reason(label: str) -> str:
    return _("no {field}").format(field=_(label))


@cache
def _reasons() -> dict[str, Callable[[], str]]:
    """Every reason a breakdown stores but an activity's, with how to say it where shown."""
    known: dict[str, Callable[[], str]] = {"base": partial(_, N_("base")), CAPPED: partial(_, CAPPED),
                                           FLOORED: partial(_, FLOORED),
                                           feature_label("customer.new"): partial(_, "new customer"),
                                           feature_label("customer.existing"): partial(_, "existing customer")}
    for channel in Channel:
        known[feature_label(f"channel.{channel.value}")] = partial(_channel_reason, channel)
    for interest in Interest:
        known[feature_label(f"interest.{interest.value}")] = partial(_, MODEL_INTEREST_LABELS[interest])
    for credit in Credit:
        known[feature_label(f"credit.{credit.value}")] = partial(_credit_reason, credit)
    for signal in Signal:
        known[feature_label(f"signals.{signal.value}")] = partial(_, SIGNAL_LABELS[signal])
    for name, label in FIELD_LABELS.items():
        known[feature_label(f"missing.{name}")] = partial(_missing_reason, label)
    return known


def reason_text(reason: str) -> str:
    """A stored breakdown's reason in the language in use: "demo request" is "Demo-Anfrage"
    in German; a reason this triage does not know (older rules) is shown as stored."""
    if current() == "en":
        return reason
    said = _reasons().get(reason)
    if said is not None:
        return said()
    found = _ACTIVITY_REASON.fullmatch(reason)
    if found and found.group(2) in _UNITS:
        text = _activity_count(_UNITS[found.group(2)], int(found.group(1)))
        if found.group(3):
            text = _("{activity} (counted up to {cap})").format(activity=text, cap=number(int(found.group(3))))
        return text
    return reason


def part_text(part: ScorePart) -> str:
    """"+30 demo request", in the language in use."""
    return f"{part.points:+d} {reason_text(part.reason)}"


def score_lead(lead: LeadData, rules: Rules | None = None) -> Scored:
    """The score of one lead (its checklist overrides included), with its parts."""
    scorer = Scorer.of(rules)
    score, parts = scorer.score(lead)
    return Scored(score, [ScorePart(reason=reason, points=points) for reason, points in parts], scorer.stamp)


def score(lead: LeadData, rules: Rules | None = None) -> int:
    return score_lead(lead, rules).score


def format_parts(parts: list[ScorePart]) -> str:
    """"+20 base, +30 demo request, -10 webmail", in the language in use."""
    return ", ".join(part_text(part) for part in parts)


#: A feature of a lead as the compiled rules hold it: its name, how much of it counts, the
#: text of its part in a breakdown and the points it earns.
Entry = tuple[str, float, str, int]
Part = tuple[str, int]


class Scorer:
    """The rules compiled once: a lead's checklist answers, its score and the parts of the
    score in one pass, from tables built here. The one implementation of the score:
    `score_lead` (one lead, the app and the CLI), an import, the HTTP intake, the rescore
    after a rules change and the demo seeder all score through it.

    The values a lead is scored on are those of `fields`, in that order (see
    `CompiledChecklist`), as enums or as their plain values.
    """

    _compiled: dict[str, "Scorer"] = {}

    @classmethod
    def of(cls, rules: Rules | None = None) -> "Scorer":
        """The scorer of `rules` (the default rules unless given), compiled once per
        fingerprint (the stamp names all that scores)."""
        rules = rules or default_rules()
        found = cls._compiled.get(rules.stamp)
        if found is None:
            if len(cls._compiled) >= 16:
                cls._compiled.clear()
            found = cls._compiled[rules.stamp] = cls(rules)
        return found

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.stamp = rules.stamp
        self.checklist = compiled(rules.checklist)
        self.fields = self.checklist.fields
        base = rules.points.base

        def entry(feature: str) -> Entry:
            return (feature, 1, feature_label(feature), round(rules.feature_points(feature)))

        self._base: tuple[Part, ...] = (("base", base),) if base else ()
        self._channel = {channel: entry(f"channel.{channel.value}") for channel in Channel}
        self._interest = {interest: entry(f"interest.{interest.value}") for interest in Interest}
        self._credit = {credit: entry(f"credit.{credit.value}") for credit in Credit}
        self._customer = {kind: entry(f"customer.{kind}") for kind in ("new", "existing")}
        self._signal = {signal: entry(f"signals.{signal.value}") for signal in Signal}
        self._missing = {name: entry(f"missing.{name}") for name in ContactField.__args__}  # type: ignore[attr-defined]
        self._activity = {activity: (f"activity.{activity.value}", _cap(activity, rules),
                                     rules.feature_points(f"activity.{activity.value}")) for activity in Activity}
        #: Each activity's entries by count, filled as counts turn up.
        self._counted: dict[Activity, dict[int, Entry]] = {activity: {} for activity in Activity}
        #: The parts and points of channel, interest, credit and customer together, by those answers.
        self._heads: dict[tuple, tuple[tuple[Part, ...], int]] = {}

    def _activity_entry(self, activity: Activity, count: int) -> Entry:
        known = self._counted[activity]
        found = known.get(count)
        if found is None:
            feature, cap, per_unit = self._activity[activity]
            counted = min(count, cap)
            found = (feature, counted, activity_label(activity, count, cap), round(per_unit * counted) if counted else 0)
            if len(known) < 10_000:
                known[count] = found
        return found

    def entries(self, given: Answers) -> list[Entry]:
        """Every feature of the answers, in the order a breakdown lists them."""
        found = [self._channel[given.channel], self._interest[given.interest], self._credit[given.credit],
                 self._customer[given.customer]]
        found += [self._signal[signal] for signal in given.signals]
        found += [self._missing[name] for name in given.missing]
        for activity, count in given.activity.items():
            if count:
                entry = self._activity_entry(activity, count)
                if entry[1]:
                    found.append(entry)
        return found

    def features(self, given: Answers) -> dict[str, float]:
        """The features of the answers and how much of each counts, as learning takes them."""
        return {feature: value for feature, value, _label, _points in self.entries(given)}

    def answers(self, values: tuple | list, overrides: dict[str, str] | None = None) -> Answers:
        """The checklist's answers from the values of `fields`, with the rep's overrides."""
        derived = self.checklist.derive(values)
        return with_overrides(derived, overrides) if overrides else derived

    def score_answers(self, given: Answers) -> tuple[int, tuple[Part, ...]]:
        """The score of the answers and its parts, which add up to it."""
        key = (given.channel, given.interest, given.credit, given.customer)
        head = self._heads.get(key)
        if head is None:
            bare = given._replace(signals=(), missing=(), activity={})
            parts = (*self._base, *((label, points) for _feature, _value, label, points in self.entries(bare) if points))
            head = self._heads[key] = (parts, sum(points for _label, points in parts))
        parts_list, total = list(head[0]), head[1]
        signal, missing = self._signal, self._missing
        for warning in given.signals:
            _feature, _value, label, points = signal[warning]
            if points:
                parts_list.append((label, points))
                total += points
        for name in given.missing:
            _feature, _value, label, points = missing[name]
            if points:
                parts_list.append((label, points))
                total += points
        counted = self._counted
        for activity, count in given.activity.items():
            if count:
                _feature, _value, label, points = counted[activity].get(count) or self._activity_entry(activity, count)
                if points:
                    parts_list.append((label, points))
                    total += points
        if total > 100:
            parts_list.append((CAPPED, 100 - total))
        elif total < 0:
            parts_list.append((FLOORED, -total))
        return max(0, min(100, total)), tuple(parts_list)

    def score_values(self, values: tuple | list, overrides: dict[str, str] | None = None) -> tuple[int, tuple[Part, ...]]:
        """The score and its parts from the values of `fields` (and the rep's overrides)."""
        return self.score_answers(self.answers(values, overrides))

    def score(self, lead: LeadData | dict[str, Any]) -> tuple[int, tuple[Part, ...]]:
        """The score and its parts of a lead (its overrides included), or of a dict of its fields."""
        overrides = (lead.get("overrides") if isinstance(lead, dict) else getattr(lead, "overrides", None)) or None
        return self.score_values(self.checklist.values(lead), overrides)
