"""Service levels in business hours: every MQL answered within 48 working hours.

The clock counts only working hours on working days in the team's time zone, skipping
public holidays of its country and region (the `holidays` package). All arithmetic runs
in UTC between the day's working window converted from local wall time, so a
daylight-saving change shortens or lengthens nothing but the night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from triage.domain.models import Stage

#: At most this many days are walked to find a due time (a year of holidays is fewer).
MAX_DAYS = 3660


class SlaState(StrEnum):
    OK = "ok"
    SOON = "soon"
    BREACHED = "breached"


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
            raise ValueError("working days are numbers 0 (Monday) to 6 (Sunday), at least one")
        return tuple(sorted(set(value)))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (e.g. Europe/Berlin)") from None
        return value

    @model_validator(mode="after")
    def _calendar(self) -> "SlaPolicy":
        if self.day_ends <= self.day_starts:
            raise ValueError("the working day must end after it starts")
        try:
            holidays.country_holidays(self.country, subdiv=self.region)
        except NotImplementedError:
            raise ValueError(f"no public holidays known for country {self.country!r}") from None
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
        """"5h left", "45m left", "3h over"."""
        hours = abs(self.hours_left)
        amount = f"{hours:.0f}h" if hours >= 1 else f"{hours * 60:.0f}m"
        return f"{amount} over" if self.state is SlaState.BREACHED else f"{amount} left"


class BusinessClock:
    def __init__(self, policy: SlaPolicy | None = None) -> None:
        self.policy = policy or SlaPolicy()
        self.zone = ZoneInfo(self.policy.timezone)
        self._days: dict[date, tuple[datetime, datetime] | None] = {}

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.policy.country, subdiv=self.policy.region)

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
        for _ in range(MAX_DAYS):
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
