"""The queue's order: which MQL a rep works next.

Handraisers (demo requests) first; then the calendar day of the hand-over (UTC), oldest
first; within a day the highest score first; then the oldest hand-over; then the lowest id.

The day is the calendar day, not a business day of the SLA clock (`triage.domain.sla`):
every MQL gets the same business hours, so the SLA clock's due times keep the order of the
hand-overs anyway, and a key by the calendar day depends on the lead alone, where one by
the SLA clock would depend on the rules' working hours, time zone and holidays, so that a
change of them would put every stored lead in a new place.

The priority is kept as text (`queue_key`) whose order is the priority's order, so that a
database index on it, with the id after it, is the queue and pages are read by key.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable, NamedTuple

from triage.domain.models import Interest

#: A queue position after every real one: `queue_page(before=LAST_KEY)` gives the last page
#: (every `queue_key` starts with a digit, which sorts before "~").
LAST_KEY: tuple[str, int] = ("~", 0)


class Priority(NamedTuple):
    """A lead's place in the queue, compared field by field (the id breaks ties)."""

    handraiser: bool
    day: date
    score: int
    handed_over_at: datetime

    def order(self) -> tuple[bool, date, int, datetime]:
        """The fields as they sort: handraisers, then the oldest day, the highest score,
        the oldest hand-over."""
        return (not self.handraiser, self.day, -self.score, self.handed_over_at)


def _utc(moment: datetime) -> datetime:
    """A moment as naive UTC (a time without a zone is UTC)."""
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


def priority(interest: str, handed_over_at: datetime, score: int) -> Priority:
    handed = _utc(handed_over_at)
    return Priority(interest == Interest.DEMO_REQUEST, handed.date(), score, handed)


def _key(handraiser: bool, day: str, score: int, clock: str) -> str:
    return f"{0 if handraiser else 1}{day}{100 - score:03d}{clock}"


def _day(moment: datetime) -> str:
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}{moment.microsecond:06d}"


def queue_key(interest: str, handed_over_at: datetime, score: int) -> str:
    """`priority` as text of the same order: "0" for a handraiser else "1", the day as
    YYYYMMDD, 100 minus the score in three digits, the time of day to the microsecond."""
    handed = _utc(handed_over_at)
    return _key(interest == Interest.DEMO_REQUEST, _day(handed), score, _clock(handed))


def keys_at(handed_over_at: datetime) -> Callable[[str, int], str]:
    """`queue_key` for many leads handed over at one moment (an import): by interest and
    score, made once each."""
    handed = _utc(handed_over_at)
    day, clock = _day(handed), _clock(handed)
    keys = [[_key(handraiser, day, score, clock) for score in range(101)] for handraiser in (False, True)]
    demo = Interest.DEMO_REQUEST

    def key(interest: str, score: int) -> str:
        return keys[interest == demo][score]

    return key


def with_score(key: str, score: int) -> str:
    """The same lead's key with another score: its interest and hand-over stay."""
    return f"{key[:9]}{100 - score:03d}{key[12:]}"
