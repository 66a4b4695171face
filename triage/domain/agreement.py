"""The volume agreement between marketing and sales (seed 004), both ways, per month.

Marketing's side: it hands over so many MQLs a month (`[agreement] mqls_per_month`).
Sales' side: it answers (accepts or returns) each one within the SLA, by the business-hour
clock of `triage.domain.sla`; `answered_in_time` says which share of its answers must be.
The month runs by UTC; the current month is measured against its share so far ("on track").
Plain rules over counts: the caller aggregates them in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from triage.domain.language import _, month
from triage.domain.rules import Agreement
from triage.domain.sla import BusinessClock

HOUR = timedelta(hours=1)
#: Hand-overs this long before the first month counted are looked up by the hour; an answer
#: to an older one is late whatever the clock.
LOOK_BACK = timedelta(days=30)


@dataclass(frozen=True)
class MonthVolume:
    """One month of the agreement, both sides."""

    month: str  # "2026-11"
    #: Marketing's side: MQLs promised for the month, due by now (the current month's share
    #: so far; the whole for a past month), and handed over.
    promised: int
    due: int
    handed_over: int
    #: Sales' side: MQLs answered (accepted or returned) and those within the SLA.
    answered: int
    answered_in_time: int
    #: The share of its answers sales agreed to give within the SLA.
    in_time_share: float
    current: bool = False

    @property
    def marketing_kept(self) -> bool:
        return self.handed_over >= self.due

    @property
    def sales_kept(self) -> bool:
        return self.answered_in_time >= self.in_time_share * self.answered

    @property
    def in_time_percent(self) -> float | None:
        return None if not self.answered else 100 * self.answered_in_time / self.answered

    def line(self) -> str:
        """"2026-11  marketing 42 of 50 MQLs (short by 8)  sales 40 of 41 answers within the SLA (98%, agreed 100%)"."""
        short_by = _("short by {count}").format(count=self.due - self.handed_over)
        if self.current:
            mine = _("{due} due by now: {state}").format(
                due=self.due, state=_("on track") if self.marketing_kept else short_by)
        else:
            mine = _("kept") if self.marketing_kept else short_by
        percent = self.in_time_percent
        theirs = _("none yet") if percent is None else (
            _("{percent}%, kept").format(percent=f"{percent:.0f}") if self.sales_kept
            else _("{percent}%, agreed {share}").format(percent=f"{percent:.0f}", share=f"{self.in_time_share:.0%}"))
        return _("{month}{so_far}  marketing {handed_over} of {promised} MQLs ({mine})  sales {in_time} of "
                 "{answered} answers within the SLA ({theirs})").format(
            month=month(self.month), so_far=_(" so far") if self.current else "", handed_over=self.handed_over,
            promised=self.promised, mine=mine, in_time=self.answered_in_time, answered=self.answered, theirs=theirs)

    def short(self) -> str:
        """The month in a line of 80 columns: "2026-11 marketing 42/50, short by 8; sales 40/41 in SLA (98%, short)"."""
        if self.marketing_kept:
            mine = _("on track") if self.current else _("kept")
        else:
            mine = _("short by {count}").format(count=self.due - self.handed_over)
        percent = self.in_time_percent
        theirs = "" if percent is None else (
            f" ({percent:.0f}%)" if self.sales_kept else _(" ({percent}%, short)").format(percent=f"{percent:.0f}"))
        return _("{month}{so_far} marketing {handed_over}/{promised}, {mine}; sales {in_time}/{answered} in SLA{theirs}"
                 ).format(month=month(self.month), so_far=_(" so far") if self.current else "", handed_over=self.handed_over,
                          promised=self.promised, mine=mine, in_time=self.answered_in_time, answered=self.answered,
                          theirs=theirs)


def months_back(now: datetime, count: int) -> list[str]:
    """The current month and the `count` before it, oldest first ("2026-09", ...)."""
    year, month = now.astimezone(timezone.utc).year, now.astimezone(timezone.utc).month
    found = []
    for _month in range(count + 1):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def month_start(month: str) -> datetime:
    year, number = month.split("-")
    return datetime(int(year), int(number), 1, tzinfo=timezone.utc)


def _month_end(month: str) -> datetime:
    start = month_start(month)
    return (start + timedelta(days=32)).replace(day=1)


def dues_by_hour(clock: BusinessClock, hours: float, since: datetime, until: datetime) -> list[tuple[str, datetime, datetime]]:
    """For each UTC hour from `since` to `until`: ("YYYY-MM-DD HH", the due time of a lead
    handed over at its start, of one handed over at its end). An answer no later than the
    first is within the SLA, one after the second is not, one between is measured."""
    start = since.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    found = []
    due = clock.add(start, hours)
    while start <= until:
        later = clock.add(start + HOUR, hours)
        found.append((f"{start:%Y-%m-%d %H}", due, later))
        start, due = start + HOUR, later
    return found


def compare(agreement: Agreement, months: list[str], handed_over: dict[str, int], answered: dict[str, int],
            in_time: dict[str, int], now: datetime) -> list[MonthVolume]:
    """Each of `months` against the agreement; the last is the current one, promised its
    share so far (by the days gone of the month)."""
    current = months[-1] if months else ""
    found = []
    for month in months:
        promised = due = agreement.mqls_per_month
        if month == current:
            start, end = month_start(month), _month_end(month)
            share = min(1.0, max(0.0, (now - start) / (end - start)))
            due = int(promised * share)
        found.append(MonthVolume(month=month, promised=promised, due=due, handed_over=handed_over.get(month, 0),
                                 answered=answered.get(month, 0), answered_in_time=in_time.get(month, 0),
                                 in_time_share=agreement.answered_in_time, current=month == current))
    return found


def month_of(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"
