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


@dataclass(frozen=True)
class LeadToAssign:
    id: int
    score: int
    country: str = ""
    handraiser: bool = False
    #: The queue's order within handraisers and the rest.
    queue_key: str = ""


@dataclass(frozen=True)
class Assignment:
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


def _why_not(rep: "RepLoad | _Tally", lead: LeadToAssign, away: str | None, covers: dict[tuple[str, str], bool]) -> str | None:
    """Why `rep` cannot take `lead`, or None: away (`_away` of the day, the same for every
    lead of one call), at their cap, or not covering the lead's country (remembered in
    `covers` per rep and country)."""
    if away is not None:
        return away
    if rep.cap is not None and rep.open_leads >= rep.cap:
        return f"{rep.login} at cap ({rep.open_leads} open of {rep.cap})"
    if lead.country:
        key = (rep.login, lead.country)
        covered = covers.get(key)
        if covered is None:
            covered = covers[key] = rep.covers(lead.country)
        if not covered:
            return f"{rep.login} does not cover {lead.country}"
    return None


class _Tally:
    """A rep's running load within one `assign` call: the numbers of their `RepLoad`,
    counted up in place rather than copied per lead."""

    __slots__ = ("rep", "login", "weight", "cap", "open_leads", "count", "score", "away")

    def __init__(self, rep: RepLoad, away: str | None) -> None:
        self.rep, self.login, self.weight, self.cap = rep, rep.login, rep.weight, rep.cap
        self.open_leads, self.count, self.score, self.away = rep.open_leads, rep.count, rep.score, away

    def covers(self, country: str) -> bool:
        return self.rep.covers(country)

    def load(self) -> RepLoad:
        rep = self.rep
        if (self.open_leads, self.count, self.score) == (rep.open_leads, rep.count, rep.score):
            return rep
        return replace(rep, count=self.count, score=self.score, open_leads=self.open_leads)


def assign(leads: list[LeadToAssign], reps: list[RepLoad], when: datetime) -> Outcome:
    """Assign `leads` among `reps` as of `when`; the same inputs give the same outcome."""
    day = when.date()
    tallies = [_Tally(rep, _away(rep, day)) for rep in sorted(reps, key=lambda rep: rep.login)]
    covers: dict[tuple[str, str], bool] = {}
    #: The weights of each set of reps who could take a lead, added up once.
    weights: dict[tuple[str, ...], float] = {}
    outcome = Outcome()
    given = outcome.assignments.append
    ordered = sorted(leads, key=lambda lead: (not lead.handraiser, lead.queue_key, lead.id))
    for lead in ordered:
        skipped: list[str] = []
        eligible: list[_Tally] = []
        for rep in tallies:
            reason = _why_not(rep, lead, rep.away, covers)
            if reason:
                skipped.append(reason)
            else:
                eligible.append(rep)
        if not eligible:
            outcome.unassigned.append((lead.id, "; ".join(skipped) or "nobody on the team"))
            continue
        logins = tuple(rep.login for rep in eligible)
        total_weight = weights.get(logins)
        if total_weight is None:
            total_weight = weights[logins] = sum(rep.weight for rep in eligible)
        count_total = score_total = 0
        for rep in eligible:
            count_total += rep.count
            score_total += rep.score
        count_total += 1
        score_total += lead.score

        # how far behind on count: a rep's share of the leads so far, this one counted, less their count
        behind = [rep.weight * count_total / total_weight - rep.count for rep in eligible]
        least_behind = max(behind) - COUNT_SLACK
        mean_score = score_total / count_total
        change = lead.score - mean_score
        chosen = eligible[0]
        best: tuple[float, str] | None = None
        for rep, ahead in zip(eligible, behind):
            if ahead < least_behind:
                continue
            # A rep's surplus is the points above what their count of leads would carry at
            # the team's mean score. The lead goes where it shrinks the weighted squared
            # surpluses most: a hot lead to whoever holds the coldest leads, a cold one to
            # whoever holds the hottest, which keeps every score sum near its share.
            surplus = rep.score - mean_score * rep.count
            added = ((change + 2 * surplus) * change / rep.weight, rep.login)
            if best is None or added < best:
                best, chosen = added, rep
        count_unit, score_unit = count_total / total_weight, score_total / total_weight
        reason = (
            f"{chosen.login}: {counted(chosen.count, 'lead')} / {counted(chosen.score, 'point')} in the window at weight "
            f"{chosen.weight:g} (team per weight: {count_unit:.1f} leads / {score_unit:.0f} points), "
            f"{chosen.open_leads} open" + (f" of cap {chosen.cap}" if chosen.cap is not None else "")
            + f"; {counted(len(eligible), 'rep')} could take it"
            + (f"; skipped {', '.join(skipped)}" if skipped else "")
        )
        given(Assignment(lead.id, chosen.login, reason))
        chosen.count += 1
        chosen.score += lead.score
        chosen.open_leads += 1
    outcome.reps = {rep.login: rep.load() for rep in tallies}
    return outcome
