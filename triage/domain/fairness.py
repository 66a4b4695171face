"""Who gets the next lead: fair, deterministic and explained.

Fair means both numbers: each rep's count of leads and the sum of their scores, over the
rolling window, stay proportional to the rep's capacity weight, so that nobody gets all
the hot or all the cold leads. For each lead (handraisers first, then queue order) the
engine looks at the reps who may take it: present (not away), under their cap of open
leads, and covering the lead's country or language. Both count and score sum are
measured against the team's share per unit of weight: among the reps within
`COUNT_SLACK` leads of the furthest behind on count, the one for whom this lead's score
evens out best the mean score of the leads each rep holds; ties go to the login first.

No flooding after an absence: a rep back from an away period that fell in the window has
their window load raised to the lowest load per weight among the reps who stayed, as if
they had taken their share meanwhile. They rejoin the rotation level with the others
instead of receiving every lead until they have caught up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Iterable, NamedTuple

from triage.domain.text import counted

#: The language a lead from each country is served in, for reps who cover languages.
COUNTRY_LANGUAGES = {
    "DE": "de", "AT": "de", "CH": "de", "LI": "de", "LU": "de",
    "NL": "nl", "BE": "nl", "SR": "nl",
    "GB": "en", "IE": "en", "US": "en", "CA": "en", "AU": "en", "NZ": "en",
    "FR": "fr", "ES": "es", "IT": "it", "PL": "pl", "DK": "da", "SE": "sv", "NO": "no",
}


#: How far behind on count (in leads) a rep may be passed over for one further behind on score.
COUNT_SLACK = 1.0


@dataclass(frozen=True)
class Away:
    since: date
    until: date  # the last day away

    def covers(self, day: date) -> bool:
        return self.since <= day <= self.until


@dataclass(frozen=True)
class RepLoad:
    """A rep as the engine sees them at one moment."""

    login: str
    weight: float = 1.0
    cap: int | None = None
    open_leads: int = 0
    #: Leads, and the sum of their scores, given to the rep within the rolling window.
    count: int = 0
    score: int = 0
    away: tuple[Away, ...] = ()
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()

    def is_away(self, day: date) -> bool:
        return any(period.covers(day) for period in self.away)

    def covers(self, country: str) -> bool:
        if not self.countries and not self.languages:
            return True
        return country.upper() in self.countries or COUNTRY_LANGUAGES.get(country.upper(), "") in self.languages


class LeadToAssign(NamedTuple):
    id: int
    score: int
    country: str = ""
    handraiser: bool = False
    #: The queue's order within handraisers and the rest.
    queue_key: str = ""


class Assignment(NamedTuple):
    lead_id: int
    login: str
    #: Why this rep: the loads, weights and caps at that moment, in words.
    reason: str


@dataclass
class Outcome:
    assignments: list[Assignment] = field(default_factory=list)
    #: Leads nobody could take (everyone away, full or not covering them), with why.
    unassigned: list[tuple[int, str]] = field(default_factory=list)
    reps: dict[str, RepLoad] = field(default_factory=dict)


def level_after_absence(reps: list[RepLoad], window_start: date, today: date) -> list[RepLoad]:
    """The no-flood policy: a rep whose away period touched the window is raised to the
    lowest load per weight of the reps who were present all along."""
    stayed = [rep for rep in reps if not any(p.until >= window_start and p.since <= today for p in rep.away)]
    if not stayed:
        return reps
    floor_count = min(rep.count / rep.weight for rep in stayed)
    floor_score = min(rep.score / rep.weight for rep in stayed)
    levelled = []
    for rep in reps:
        if rep in stayed:
            levelled.append(rep)
        else:
            levelled.append(replace(
                rep,
                count=max(rep.count, round(floor_count * rep.weight)),
                score=max(rep.score, round(floor_score * rep.weight)),
            ))
    return levelled


def _away(rep: RepLoad, day: date) -> str | None:
    if rep.is_away(day):
        until = max(period.until for period in rep.away if period.covers(day))
        return f"{rep.login} away until {until.isoformat()}"
    return None


def _why_not(rep: _Tally, country: str) -> str | None:
    """Why `rep` cannot take a lead from `country`, or None: away (`rep.away`, worked out
    for the day), at their cap, or not covering the country."""
    if rep.away is not None:
        return rep.away
    if rep.cap is not None and rep.open_leads >= rep.cap:
        return f"{rep.login} at cap ({rep.open_leads} open of {rep.cap})"
    if country and not rep.rep.covers(country):
        return f"{rep.login} does not cover {country}"
    return None


class _Tally:
    """A rep's running load within one run: the numbers of their `RepLoad`, counted up in
    place rather than copied per lead, and the fixed words of their explanations."""

    __slots__ = ("rep", "login", "weight", "cap", "open_leads", "count", "score", "away", "head", "middle", "capped",
                 "groups")

    def __init__(self, rep: RepLoad, away: str | None) -> None:
        self.rep, self.login, self.weight, self.cap = rep, rep.login, rep.weight, rep.cap
        self.open_leads, self.count, self.score, self.away = rep.open_leads, rep.count, rep.score, away
        self.head = f"{rep.login}: "
        self.middle = f" in the window at weight {rep.weight:g} (team per weight: "
        self.capped = f" of cap {rep.cap}" if rep.cap is not None else ""
        #: The groups of reps who may take some country's leads that this rep is one of.
        self.groups: list[_Group] = []

    def load(self) -> RepLoad:
        rep = self.rep
        if (self.open_leads, self.count, self.score) == (rep.open_leads, rep.count, rep.score):
            return rep
        return replace(rep, count=self.count, score=self.score, open_leads=self.open_leads)


class _Group:
    """Reps who may take a lead, in login order, with their weights, counts and score sums
    added up: kept up to date as each of them is given a lead, not added up per lead."""

    __slots__ = ("reps", "weight", "count", "score")

    def __init__(self, reps: list[_Tally]) -> None:
        self.reps = reps
        self.weight = sum(rep.weight for rep in reps)
        self.count = sum(rep.count for rep in reps)
        self.score = sum(rep.score for rep in reps)
        for rep in reps:
            rep.groups.append(self)


def _queue_order(lead: LeadToAssign) -> tuple[bool, str, int]:
    return not lead.handraiser, lead.queue_key, lead.id


class FairAssignment:
    """The rule compiled for one run as of `when`: the reps in login order, who is away that
    day, and for each country who may take its leads, their weights added up and the words
    the explanation ends with, all worked out once (again only when a rep reaches their
    cap). Each lead then costs one pass over the reps who may take it. The loads carry over
    from call to call: a pool assigned batch by batch ends as if assigned at once."""

    def __init__(self, reps: list[RepLoad], when: datetime) -> None:
        day = when.date()
        self._tallies = [_Tally(rep, _away(rep, day)) for rep in sorted(reps, key=lambda rep: rep.login)]
        #: Per country: who may take its leads, and the end of the explanation (or, when
        #: nobody may, why not).
        self._countries: dict[str, tuple[_Group, str]] = {}
        self._groups: dict[tuple[str, ...], _Group] = {}

    def _country(self, country: str) -> tuple[_Group, str]:
        skipped: list[str] = []
        eligible: list[_Tally] = []
        for rep in self._tallies:
            reason = _why_not(rep, country)
            if reason:
                skipped.append(reason)
            else:
                eligible.append(rep)
        logins = tuple(rep.login for rep in eligible)
        group = self._groups.get(logins) or self._groups.setdefault(logins, _Group(eligible))
        if eligible:
            words = f"; {counted(len(eligible), 'rep')} could take it" + (
                f"; skipped {', '.join(skipped)}" if skipped else "")
        else:
            words = "; ".join(skipped) or "nobody on the team"
        found = self._countries[country] = (group, words)
        return found

    def _forget_countries(self) -> None:
        """Who may take what changed (a rep reached their cap): work it out again."""
        self._countries.clear()
        self._groups.clear()
        for rep in self._tallies:
            rep.groups.clear()

    def assign(self, leads: Iterable[LeadToAssign]) -> Outcome:
        """Assign `leads`, handraisers first, then in queue order; the same inputs give the
        same outcome."""
        outcome = Outcome()
        given = outcome.assignments.append
        nobody = outcome.unassigned.append
        countries = self._countries
        new = tuple.__new__  # an Assignment without the Python call of its generated __new__
        for lead_id, score, country, _, _ in sorted(leads, key=_queue_order):
            group, words = countries.get(country) or self._country(country)
            eligible = group.reps
            if not eligible:
                nobody((lead_id, words))
                continue
            count_total, score_total, total_weight = group.count + 1, group.score + score, group.weight
            # how far behind on count: a rep's share of the leads so far, this one counted, less their count
            behind = [rep.weight * count_total / total_weight - rep.count for rep in eligible]
            least_behind = max(behind) - COUNT_SLACK
            mean_score = score_total / count_total
            change = score - mean_score
            chosen = eligible[0]
            best: float | None = None
            for rep, ahead in zip(eligible, behind):
                if ahead < least_behind:
                    continue
                # A rep's surplus is the points above what their count of leads would carry at
                # the team's mean score. The lead goes where it shrinks the weighted squared
                # surpluses most: a hot lead to whoever holds the coldest leads, a cold one to
                # whoever holds the hottest, which keeps every score sum near its share. Ties
                # go to the login first (the reps are in login order).
                added = (change + 2 * (rep.score - mean_score * rep.count)) * change / rep.weight
                if best is None or added < best:
                    best, chosen = added, rep
            given(new(Assignment, (lead_id, chosen.login, (
                f"{chosen.head}{counted(chosen.count, 'lead', 'leads')} / {counted(chosen.score, 'point', 'points')}"
                f"{chosen.middle}{count_total / total_weight:.1f} leads / {score_total / total_weight:.0f} points), "
                f"{chosen.open_leads} open{chosen.capped}{words}"))))
            chosen.count += 1
            chosen.score += score
            chosen.open_leads += 1
            for held in chosen.groups:
                held.count += 1
                held.score += score
            if chosen.cap is not None and chosen.open_leads >= chosen.cap:
                self._forget_countries()
        outcome.reps = {rep.login: rep.load() for rep in self._tallies}
        return outcome


def assign(leads: Iterable[LeadToAssign], reps: list[RepLoad], when: datetime) -> Outcome:
    """Assign `leads` among `reps` as of `when`; the same inputs give the same outcome."""
    return FairAssignment(reps, when).assign(leads)
