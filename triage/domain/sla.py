"""Service levels in business hours: every MQL answered within 48 working hours.

The clock counts only working hours on working days in the team's time zone, skipping
public holidays of its country and region (`public_holidays`). All arithmetic runs
in UTC between the day's working window converted from local wall time, so a
daylight-saving change shortens or lengthens nothing but the night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import cached_property
from typing import Callable, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from triage.domain.language import N_, _, current, number, pgettext
from triage.domain.models import Stage
from triage.domain.public_holidays import PublicHolidays

#: The calendar of the default policy, which the `holidays` package always has: checking
#: it would load that package (0.15 s and 11 MB) on the way to the app's first screen.
DEFAULT_CALENDAR = ("DE", None)
#: At most this many days are walked to find a due time (a year of holidays is fewer).
MAX_DAYS = 3660


class SlaState(StrEnum):
    OK = "ok"
    SOON = "soon"
    BREACHED = "breached"

    @property
    def label(self) -> str:
        return _(SLA_STATE_LABELS[self])


SLA_STATE_LABELS = {SlaState.OK: N_("on time"), SlaState.SOON: N_("due soon"), SlaState.BREACHED: N_("breached")}


class SlaPolicy(BaseModel):
    """The team's service levels; the `[sla]` table of the rules file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Business hours from hand-over to decision, per stage the clock runs in.
    hours: dict[Stage, float] = {Stage.MQL: 48}
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday is 0
    day_starts: time = time(8, 0)
    day_ends: time = time(18, 0)
    timezone: str = "Europe/Berlin"
    country: str = "DE"
    region: str | None = None
    #: A lead this close to its due time (in business hours) is soon due.
    soon_hours: float = Field(default=8, ge=0)
    #: What happens on breach: the lead stays and the team lead is told ("escalate"), or it
    #: goes back to the pool to be assigned again ("pool").
    on_breach: Literal["escalate", "pool"] = "escalate"

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(day not in range(7) for day in value):
            raise ValueError(_("working days are numbers 0 (Monday) to 6 (Sunday), at least one"))
        return tuple(sorted(set(value)))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("{zone} is not a time zone (e.g. Europe/Berlin)").format(zone=repr(value))) from None
        return value

    @model_validator(mode="after")
    def _calendar(self) -> "SlaPolicy":
        if self.day_ends <= self.day_starts:
            raise ValueError(_("the working day must end after it starts"))
        if (self.country, self.region) == DEFAULT_CALENDAR:
            return self
        import holidays

        try:
            holidays.country_holidays(self.country, subdiv=self.region)
        except NotImplementedError:
            raise ValueError(_("no public holidays known for country {country}").format(
                country=repr(self.country))) from None
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return self


@dataclass(frozen=True)
class SlaStatus:
    due: datetime
    #: Business hours left until due; negative once breached.
    hours_left: float
    state: SlaState

    def text(self) -> str:
        """"5h left", "45m left", "3h over"; "noch 5 Std.", "45 Min. überfällig" in German."""
        return self._said(_("{hours}h"), _("{minutes}m"), _("{amount} over"), _("{amount} left"))

    def short(self) -> str:
        """`text` for the queue's narrow SLA cell: "4h over", "45m left"; "4 h zu spät",
        "noch <1 h" in German."""
        return self._said(pgettext("SLA cell", "{hours}h"), pgettext("SLA cell", "{minutes}m"),
                          pgettext("SLA cell", "{amount} over"), pgettext("SLA cell", "{amount} left"))

    def _said(self, in_hours: str, in_minutes: str, over: str, left: str) -> str:
        """The status in the words given (their translations, looked up where they are
        written so that the catalogs find them)."""
        hours = abs(self.hours_left)
        if hours >= 1:
            amount = in_hours.format(hours=f"{hours:.0f}" if current() == "en" else number(round(hours)))
        else:
            amount = in_minutes.format(minutes=f"{hours * 60:.0f}")
        return (over if self.state is SlaState.BREACHED else left).format(amount=amount)


class BusinessClock:
    def __init__(self, policy: SlaPolicy | None = None) -> None:
        self.policy = policy or SlaPolicy()
        self.zone = ZoneInfo(self.policy.timezone)
        self._days: dict[date, tuple[datetime, datetime] | None] = {}

    @cached_property
    def _holidays(self) -> PublicHolidays:
        return PublicHolidays(self.policy.country, self.policy.region)

    def is_working_day(self, day: date) -> bool:
        return self._day(day) is not None

    def _day(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working hours in UTC, or None on a day off; remembered, since the
        queue asks about the same few days for every row it draws."""
        if day not in self._days:
            if day.weekday() not in self.policy.working_days or day in self._holidays:
                window = None
            else:
                window = (
                    datetime.combine(day, self.policy.day_starts, tzinfo=self.zone).astimezone(timezone.utc),
                    datetime.combine(day, self.policy.day_ends, tzinfo=self.zone).astimezone(timezone.utc),
                )
            self._days[day] = window
        return self._days[day]

    def add(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` business hours after `start`."""
        remaining = timedelta(hours=hours)
        moment = start.astimezone(timezone.utc)
        day = moment.astimezone(self.zone).date()
        for _day in range(MAX_DAYS):
            window = self._day(day)
            if window is not None:
                opens, closes = window
                begin = max(moment, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working hours within ten years: check the working days")

    def between(self, start: datetime, end: datetime) -> float:
        """Business hours from `start` to `end` (negative when `end` comes first)."""
        start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
        if end < start:
            return -self.between(end, start)
        total = timedelta()
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            window = self._day(day)
            if window is not None:
                opens, closes = window
                begin, finish = max(start, opens), min(end, closes)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def due(self, stage: Stage, since: datetime) -> datetime | None:
        hours = self.policy.hours.get(stage)
        return None if hours is None else self.add(since, hours)

    def last_moment(self, holds: Callable[[datetime], bool], near: datetime) -> datetime | None:
        """The last moment, to the microsecond, for which `holds` is true, for a `holds`
        that is true up to some moment and false after it (a lead handed over then would be
        breached by now, say); None when it holds at no moment within `MAX_DAYS` of `near`.

        This lets a database count leads by their state with a range of hand-over times
        instead of reading each lead: the state is this clock's, found by bisection."""
        step = timedelta(hours=1)
        limit = timedelta(days=MAX_DAYS)
        if holds(near):
            low, high = near, near + step
            while holds(high):
                low, step = high, step * 2
                if step > limit:
                    return high
                high = near + step
        else:
            high, low = near, near - step
            while not holds(low):
                high, step = low, step * 2
                if step > limit:
                    return None
                low = near - step
        gap = (high - low) // timedelta(microseconds=1)
        while gap > 1:  # low holds, high does not
            middle = low + timedelta(microseconds=gap // 2)
            if holds(middle):
                low = middle
            else:
                high = middle
            gap = (high - low) // timedelta(microseconds=1)
        return low

    def handed_over_by(self, stage: Stage, now: datetime) -> tuple[datetime | None, datetime | None]:
        """The last hand-over moments at which a lead of `stage` is breached by `now`, and
        breached or soon due; (None, None) when no clock runs for `stage`."""
        if stage not in self.policy.hours:
            return None, None

        def state(since: datetime) -> SlaState:
            status = self.status(stage, since, now)
            return SlaState.OK if status is None else status.state

        return (self.last_moment(lambda since: state(since) is SlaState.BREACHED, now),
                self.last_moment(lambda since: state(since) is not SlaState.OK, now))

    def aged_by(self, hours: float, now: datetime) -> datetime | None:
        """The last moment from which at least `hours` business hours have passed by `now`."""
        return self.last_moment(lambda since: self.between(since, now) >= hours, now)

    def status(self, stage: Stage, since: datetime | None, now: datetime) -> SlaStatus | None:
        """Where a lead stands against its stage's service level; None when no clock runs."""
        if since is None or stage not in self.policy.hours:
            return None
        due = self.add(since, self.policy.hours[stage])
        left = self.between(now, due)
        if now >= due:
            state = SlaState.BREACHED
            left = min(left, -1 / 60) if left == 0 else left
        elif left <= self.policy.soon_hours:
            state = SlaState.SOON
        else:
            state = SlaState.OK
        return SlaStatus(due=due, hours_left=left, state=state)
