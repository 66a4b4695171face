"""The team's side of the work: the team itself, fair assignment, the SLA and the balance.

Who may do what is checked by the shared `Context` (see `triage.services.context`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Iterator

from pydantic import ValidationError

from triage.domain.language import N_, _
from triage.domain.dates import parse_day, parse_decimal
from triage.domain.fairness import Away, FairAssignment, LeadToAssign, Outcome, RepLoad, assign, level_after_absence
from triage.domain import agreement
from triage.domain.agreement import MonthVolume
from triage.domain.errors import RoleRefused, TriageError
from triage.domain.models import AuditEvent, AwayPeriod, Interest, Lead, Role, Stage, TeamMember, utcnow
from triage.domain.scoring import score_lead
from triage.domain.sla import BusinessClock, SlaState, SlaStatus

from triage.services.context import Context

if TYPE_CHECKING:
    from triage.services.transfer import ImportSummary

#: Fair over this many days: loads older than that no longer count.
WINDOW_DAYS = 30
#: Pool leads the assignment engine takes at a time (see `Team.assign_pool_batches`).
ASSIGN_BATCH = 5000
#: Ageing buckets of open leads, in business hours since hand-over.
AGE_BUCKETS = ((8, "<8h"), (24, "8–24h"), (48, "24–48h"), (float("inf"), ">48h"))


BALANCE_COLUMNS = ["rep", "name", "role", "capacity", "cap", "open", *(f"open {label}" for _, label in AGE_BUCKETS),
                   "breached", "soon_due", "accepted_this_week", "returned_this_week", "leads_30_days",
                   "points_30_days", "away_now"]


@dataclass(frozen=True)
class ReplayRow:
    login: str
    replay_count: int
    replay_score: int
    actual_count: int
    actual_score: int


@dataclass
class RepBalance:
    member: TeamMember
    open_leads: int = 0
    ages: dict[str, int] = field(default_factory=dict)
    breached: int = 0
    soon_due: int = 0
    accepted_this_week: int = 0
    returned_this_week: int = 0
    window_count: int = 0
    window_score: int = 0
    away_now: bool = False


@dataclass
class PoolBalance:
    """The unassigned pool's open MQLs: their SLA clocks run as well as the reps'."""

    open_leads: int = 0
    ages: dict[str, int] = field(default_factory=lambda: {label: 0 for _, label in AGE_BUCKETS})
    breached: int = 0
    soon_due: int = 0


@dataclass
class Balance:
    reps: list[RepBalance]
    #: The spread of leads per unit of capacity over the window: (max - min) / mean; 0 is even.
    count_spread: float
    score_spread: float
    window_days: int = WINDOW_DAYS
    pool: PoolBalance = field(default_factory=PoolBalance)

    @property
    def breached(self) -> int:
        """Open MQLs past their SLA, the reps' and the pool's."""
        return self.pool.breached + sum(row.breached for row in self.reps)

    @property
    def soon_due(self) -> int:
        return self.pool.soon_due + sum(row.soon_due for row in self.reps)


def _spread(values: list[float]) -> float:
    mean = math.fsum(values) / len(values) if values else 0
    return (max(values) - min(values)) / mean if mean else 0.0


class MemberInvalid(TriageError):
    """A team member's form that cannot be saved: `errors` maps each wrong field to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in errors.items()))
        self.errors = errors


#: The fields of the team member form, as `save_member` takes them.
MEMBER_FIELDS = ("login", "name", "role", "capacity", "cap", "countries", "languages", "away-from", "away-until")


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(exc)


def _codes(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,;]+", text.strip()) if code]


def member_values(fields: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A member form's text as TeamMember values, and what is wrong with which field.

    An away period comes back as `period` (an AwayPeriod), to be added to the member's."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    text = {name: str(fields.get(name) or "").strip() for name in MEMBER_FIELDS}
    if not text["login"]:
        errors["login"] = _("a team member needs a login")
    elif any(char.isspace() for char in text["login"]):
        errors["login"] = _("a login has no spaces")
    values["name"] = text["name"]
    if not text["name"]:
        errors["name"] = _("a team member needs a name")
    try:
        values["role"] = Role(text["role"] or Role.REP)
    except ValueError:
        errors["role"] = _("{role} is not a role (rep, lead, board)").format(role=repr(text["role"]))
    try:
        capacity = parse_decimal(text["capacity"]) if text["capacity"] else 1.0
        if capacity <= 0:
            raise ValueError(_("must be more than 0 (1 full time, 0,5 half)"))
        values["capacity"] = capacity
    except ValueError as exc:
        errors["capacity"] = str(exc)
    if text["cap"].lower() in ("", "none", "-"):
        values["cap"] = None
    elif text["cap"].isdigit():
        values["cap"] = int(text["cap"])
    else:
        errors["cap"] = _("{cap} is not a whole number of leads (empty: no cap)").format(cap=repr(text["cap"]))
    for name in ("countries", "languages"):
        try:
            values[name] = getattr(TeamMember.model_validate({"login": "-", "name": "-", name: _codes(text[name])}),
                                   name)
        except ValidationError as exc:
            errors[name] = _why(exc)
    days: dict[str, date] = {}
    for name in ("away-from", "away-until"):
        if text[name]:
            try:
                days[name] = parse_day(text[name])
            except ValueError as exc:
                errors[name] = str(exc)
    if bool(text["away-from"]) != bool(text["away-until"]):
        missing = "away-until" if text["away-from"] else "away-from"
        errors.setdefault(missing, "an away period needs both days: from and until")
    elif len(days) == 2:
        try:
            values["period"] = AwayPeriod(since=days["away-from"], until=days["away-until"])
        except ValidationError as exc:
            errors["away-until"] = _why(exc)
    return values, errors


class Team:
    """The team and its members, fair assignment, the SLA and the balance of the queues."""

    def __init__(self, context: Context) -> None:
        self.context = context

    # --- the team --------------------------------------------------------------------

    def team(self) -> list[TeamMember]:
        return self.context.store.team()

    def member(self, login: str) -> TeamMember:
        found = next((member for member in self.context.store.team() if member.login == login), None)
        if found is None:
            raise TriageError(_("{login} is not on the team; `triage team list` shows who is").format(login=login))
        return found

    def add_member(self, member: TeamMember, *, password: str | None = None) -> TeamMember:
        """Add a member (team lead). On PostgreSQL this makes their database login, with
        `password`; on SQLite, where who you are is your system login, there is none."""
        self.context.require_team_lead(N_("change the team"))
        self._check_password(password)
        if any(existing.login == member.login for existing in self.context.store.team()):
            raise TriageError(_("{login} is on the team already; change them with `triage team set`").format(
                login=member.login))
        self.context.store.add_team_member(member, password=password, login=True)
        self.context.forget_role()
        return member

    def update_member(self, login: str, *, password: str | None = None, **changes: Any) -> TeamMember:
        self.context.require_team_lead(N_("change the team"))
        self._check_password(password)
        updated = TeamMember.model_validate({**self.member(login).model_dump(), **changes})
        self.context.store.add_team_member(updated, password=password, login=True)
        self.context.forget_role()
        return updated

    def remove_member(self, login: str) -> None:
        """Take a member off the team (team lead); on PostgreSQL their login ends."""
        self.context.require_team_lead(N_("change the team"))
        if login == self.context.actor:
            raise TriageError(_("you cannot remove yourself from the team; another team lead can"))
        if not self.context.store.remove_team_member(login):
            raise TriageError(_("{login} is not on the team; `triage team list` shows who is").format(login=login))
        self.context.forget_role()

    def _check_password(self, password: str | None) -> None:
        if password is not None and self.context.store.connected_user() is None:
            raise TriageError(_("passwords are for team logins on PostgreSQL; on SQLite who you are is "
                                "your system login"))

    def save_member(self, fields: dict[str, str], *, new: bool) -> TeamMember:
        """A member from a form's text fields: added (`new`) or changed; team lead only.

        Every field is checked before anything is stored; `MemberInvalid` names each field
        that is wrong and why, so a dialog can say so beside it and keep what was typed.
        Capacity takes a decimal comma (`0,5`), away days as people type them."""
        self.context.require_team_lead(N_("change the team"))
        values, errors = member_values(fields)
        login = fields.get("login", "").strip()
        existing = {member.login: member for member in self.context.store.team()}
        if new and login in existing:
            errors.setdefault("login", _("{login} is on the team already").format(login=login))
        if not new and login not in existing:
            errors.setdefault("login", _("{login} is not on the team").format(login=login))
        period = values.pop("period", None)
        if not errors:
            if period is not None:
                values["away"] = sorted([*(() if new else existing[login].away), period], key=lambda p: p.since)
            try:
                member = TeamMember.model_validate(
                    {**({} if new else existing[login].model_dump()), **values, "login": login})
            except ValidationError as exc:
                for error in exc.errors():
                    name = str(error["loc"][0]) if error["loc"] else "name"
                    errors.setdefault(name, str(error["msg"]).removeprefix("Value error, "))
        if errors:
            raise MemberInvalid(errors)
        self.context.store.add_team_member(member)
        self.context.forget_role()
        return member

    def set_away(self, login: str, since: date | str, until: date | str) -> TeamMember:
        """A rep records their own away period; a team lead anyone's. Days may be given
        as people type them (`31.03.2027`, `31-3-27`, `2027-03-31`)."""
        try:
            first = since if isinstance(since, date) else parse_day(since)
            last = until if isinstance(until, date) else parse_day(until)
            period = AwayPeriod(since=first, until=last)
        except (ValueError, ValidationError) as exc:
            raise TriageError(_why(exc)) from None
        if login != self.context.actor:
            self.context.require_team_lead(N_("record another member's away period"))
        else:
            self.context.role()
        member = self.member(login)
        updated = member.model_copy(update={"away": sorted([*member.away, period], key=lambda p: p.since)})
        self.context.store.add_team_member(updated)
        return updated

    # --- assignment ------------------------------------------------------------------

    def _rep_loads(self, now: datetime, *, fresh: bool = False) -> list[RepLoad]:
        reps = [member for member in self.context.store.team() if member.role is Role.REP]
        window_start = now - timedelta(days=WINDOW_DAYS)
        given: dict[str, tuple[int, int]] = {}
        open_leads: dict[str, int] = {}
        if not fresh:
            given = self.context.store.given_totals(window_start)
            open_leads = self.context.store.open_leads_by_owner()
        loads = [
            RepLoad(
                login=member.login, weight=member.capacity, cap=None if fresh else member.cap,
                open_leads=open_leads.get(member.login, 0),
                count=given.get(member.login, (0, 0))[0], score=given.get(member.login, (0, 0))[1],
                away=tuple(Away(period.since, period.until) for period in member.away),
                countries=frozenset(member.countries), languages=frozenset(member.languages),
            )
            for member in reps
        ]
        return loads if fresh else level_after_absence(loads, window_start.date(), now.date())

    def assign_pool(self, *, dry_run: bool = False, now: datetime | None = None) -> Outcome:
        """Give the pool's MQLs to the reps by the fair engine (team lead); with `dry_run`,
        only say what would happen. The whole outcome at once: `assign_pool_batches` for
        a pool too big to hold."""
        whole = Outcome()
        for outcome in self.assign_pool_batches(dry_run=dry_run, now=now):
            whole.assignments.extend(outcome.assignments)
            whole.unassigned.extend(outcome.unassigned)
            whole.reps = outcome.reps
        return whole

    def assign_pool_batches(self, *, dry_run: bool = False, now: datetime | None = None,
                            batch: int = ASSIGN_BATCH) -> Iterator[Outcome]:
        """`assign_pool` a batch of the pool at a time, in queue order: the engine goes on
        from the loads the batch before left, so the outcome is the one of the whole pool at
        once, while memory holds one batch. A batch's assignments are those given: on SQLite
        the whole pool is given in one transaction, as the last batch has been yielded (an
        error then gives none); on PostgreSQL each batch in its own, before the next is read
        (see `LeadStore.assigning_pool`)."""
        self.context.require_team_lead(N_("assign leads"))
        now = now or utcnow()
        engine = FairAssignment(self._rep_loads(now), now)
        logged = None if dry_run else AuditEvent(lead_id=0, actor=self.context.signature, at=now, action="assign")
        index = 0
        demo = Interest.DEMO_REQUEST.value
        new = tuple.__new__
        with self.context.store.assigning_pool(logged) as pool:
            for page in pool.pages(batch):
                # tuple.__new__: the LeadToAssign without the Python call of its generated __new__
                leads = [new(LeadToAssign, (lead_id, score, country, interest == demo, f"{position:09d}"))
                         for position, (lead_id, score, country, interest) in enumerate(page, index)]
                index += len(page)
                outcome = engine.assign(leads)
                if not dry_run and outcome.assignments:
                    given = pool.give(outcome.assignments)  # each is (lead id, rep, note)
                    if len(given) < len(outcome.assignments):  # someone took some meanwhile
                        kept = set(given)
                        outcome.assignments = [a for a in outcome.assignments if a.lead_id in kept]
                yield outcome

    def assign_imported(self, summary: ImportSummary) -> int:
        """After an import: the engine assigns the leads that import created, those still in
        the pool, when the team has reps to give them to (the push model). The rest of the
        pool (leads a team lead released, say) stays where it is; the import's actor needs no
        role for this (the review board cannot import)."""
        if not summary.new_lead_ids or not any(member.role is Role.REP for member in self.context.store.team()):
            return 0
        now = utcnow()
        pool = self.context.store.pool_leads_among(summary.new_lead_ids)
        leads = [LeadToAssign(lead.id, lead.score, lead.country, lead.is_handraiser, f"{index:09d}")
                 for index, lead in enumerate(pool)]
        outcome = assign(leads, self._rep_loads(now), now)
        logged = AuditEvent(lead_id=0, actor=self.context.signature, at=now, action="assign")
        return len(self.context.store.give_from_pool([(a.lead_id, a.login, a.reason) for a in outcome.assignments],
                                                     logged))

    def replay(self, since: datetime, until: datetime) -> list[ReplayRow]:
        """The leads handed over in [since, until) assigned again under today's team and
        rules, beside who really got them. Caps are left out: who had what open then is
        not on record; away periods count on each lead's day of hand-over."""
        leads = sorted(self.context.store.handed_over_between(since, until), key=lambda lead: lead.handed_over_at or lead.created_at)
        state = self._rep_loads(since, fresh=True)
        replayed: dict[str, list[int]] = {rep.login: [0, 0] for rep in state}
        for index, lead in enumerate(leads):
            score = score_lead(lead, self.context.rules).score
            outcome = assign(
                [LeadToAssign(lead.id, score, lead.country, lead.is_handraiser, f"{index:09d}")],
                state, lead.handed_over_at or lead.created_at,
            )
            state = list(outcome.reps.values())
            for assignment in outcome.assignments:
                replayed[assignment.login][0] += 1
                replayed[assignment.login][1] += score
        actual = {login: list(totals) for login, totals in self.context.store.given_totals(since, until).items()}
        logins = sorted(set(replayed) | set(actual))
        return [
            ReplayRow(login, *replayed.get(login, [0, 0]), *actual.get(login, [0, 0]))
            for login in logins
        ]

    def reassign(self, lead_ids: list[int], to: str | None) -> list[int]:
        """Give leads to another rep, or back to the pool (`to` None); team lead only."""
        self.context.require_team_lead(N_("reassign leads"))
        if to is not None and self.member(to).role is Role.BOARD:
            raise TriageError(_("{login} is on the review board, which does not work leads").format(login=to))
        now = utcnow()
        events = [AuditEvent(lead_id=lead_id, actor=self.context.signature, at=now, action="reassign",
                             note=f"{to or 'pool'}: reassigned by {self.context.actor}") for lead_id in lead_ids]
        done = self.context.store.give_leads([(lead_id, to) for lead_id in lead_ids], events, from_pool=False)
        missing = sorted(set(lead_ids) - set(done))
        if missing and not done:
            raise TriageError(_("no lead reassigned: {ids} are not open MQLs").format(ids=", ".join(map(str, missing))))
        return done

    def release(self, login: str) -> list[int]:
        """Send every open MQL of `login` back to the pool (a rep fell ill); team lead only."""
        self.context.require_team_lead(N_("reassign leads"))
        leads = [lead.id for lead in self.context.store.open_leads(owner=login)]
        return self.reassign(leads, None) if leads else []

    # --- SLA -------------------------------------------------------------------------

    def sla_clock(self) -> BusinessClock:
        return BusinessClock(self.context.rules.sla)

    def sla_summary(self, now: datetime | None = None) -> tuple[int, int]:
        """How many open MQLs are breached, and how many soon due, counted in the database
        by the hand-over moments the clock says those states begin at."""
        now = now or utcnow()
        breached_by, soon_by = self.sla_clock().handed_over_by(Stage.MQL, now)
        count = self.context.store.open_leads_handed_count
        breached = 0 if breached_by is None else count(breached_by)
        return breached, (0 if soon_by is None else count(soon_by)) - breached

    def sla_report(self, now: datetime | None = None, limit: int | None = None) -> list[tuple[Lead, SlaStatus]]:
        """Open MQLs breached or soon due, most urgent first (fewest business hours left,
        then id); with `limit`, only the most urgent `limit` of them."""
        now = now or utcnow()
        if limit is None:
            return list(self.sla_urgent(now))
        clock = self.sla_clock()
        _breached_by, soon_by = clock.handed_over_by(Stage.MQL, now)
        if soon_by is None or limit <= 0:
            return []

        def status(since: datetime | None) -> SlaStatus:
            found = clock.status(Stage.MQL, since, now)
            assert found is not None  # the clock runs for MQLs, or soon_by were None
            return found

        first = [(lead, status(lead.handed_over_at)) for lead in self.context.store.open_leads_handed(up_to=soon_by, limit=limit)]
        if len(first) == limit:
            # The oldest hand-overs are the most urgent, but leads handed over in one night
            # or weekend are due at the same moment, and among those the lowest ids come
            # first: read the ones tied with the last, by id, along their hand-over range.
            last = max(found.hours_left for _, found in first)
            ties_from = clock.last_moment(lambda since: status(since).hours_left < last, now)
            ties_to = clock.last_moment(lambda since: status(since).hours_left <= last, now) or soon_by
            kept = [pair for pair in first if pair[1].hours_left < last]
            ties = self.context.store.open_leads_handed(
                up_to=min(soon_by, ties_to), since=None if ties_from is None else ties_from + timedelta(microseconds=1),
                by_id=True, limit=limit - len(kept))
            first = kept + [(lead, status(lead.handed_over_at)) for lead in ties]
        return sorted(first, key=lambda pair: (pair[1].hours_left, pair[0].id))[:limit]

    def sla_urgent(self, now: datetime | None = None, page: int = 1000) -> Iterator[tuple[Lead, SlaStatus]]:
        """Every open MQL breached or soon due, most urgent first, read a page at a time
        in the order of hand-over (which is the order of urgency but for ties, sorted here)."""
        now = now or utcnow()
        clock = self.sla_clock()
        _breached_by, soon_by = clock.handed_over_by(Stage.MQL, now)
        if soon_by is None:
            return
        waiting: list[tuple[Lead, SlaStatus]] = []
        after: tuple[datetime, int] | None = None
        while leads := self.context.store.open_leads_handed(up_to=soon_by, after=after, limit=page):
            for lead in leads:
                status = clock.status(lead.stage, lead.handed_over_at, now)
                if status is None:
                    continue
                if waiting and status.hours_left > max(pair[1].hours_left for pair in waiting):
                    yield from sorted(waiting, key=lambda pair: (pair[1].hours_left, pair[0].id))
                    waiting = []
                waiting.append((lead, status))
            after = (leads[-1].handed_over_at, leads[-1].id)  # type: ignore[assignment]
            if len(leads) < page:
                break
        yield from sorted(waiting, key=lambda pair: (pair[1].hours_left, pair[0].id))

    def apply_breach_policy(self, now: datetime | None = None) -> list[tuple[int, str]]:
        """Act on breached leads as the rules say: escalate each to the team lead once (an
        audit event the balance screen counts), or send it back to the pool."""
        now = now or utcnow()
        acted = []
        breached = [lead for lead, status in self.sla_urgent(now) if status.state is SlaState.BREACHED]
        if self.context.rules.sla.on_breach == "pool":
            owned = [lead.id for lead in breached if lead.owner]
            if owned:
                events = [AuditEvent(lead_id=lead_id, actor=self.context.signature, at=now, action="reassign",
                                     note="pool: SLA breached, back to the pool") for lead_id in owned]
                done = self.context.store.give_leads([(lead_id, None) for lead_id in owned], events, from_pool=False)
                acted = [(lead_id, "back to the pool") for lead_id in done]
            return acted
        for lead in breached:
            if any(event.action == "escalate" for event in self.context.store.history(lead.id)):
                continue
            event = AuditEvent(lead_id=lead.id, actor=self.context.signature, at=now, action="escalate",
                               note=f"SLA breached ({lead.owner or 'pool'}): for the team lead")
            self.context.store.change(lead, {}, event)
            acted.append((lead.id, "escalated"))
        return acted

    # --- balance ---------------------------------------------------------------------

    def volume(self, months: int = 3, now: datetime | None = None) -> list[MonthVolume]:
        """The volume agreement both ways for the current month and the `months` before it:
        MQLs marketing handed over against `[agreement]`, and sales' answers within the SLA
        against its answers. Counted in the database, grouped by month, against the due time
        of each hour's hand-overs: only answers given within the hour the SLA ran out are
        read one by one."""
        if self.context.role() is Role.REP:  # a rep reads only their own leads and the pool's
            raise RoleRefused(f"the volume agreement is for team leads, marketing and the review board; "
                              f"{self.context.actor} is rep")
        now = now or utcnow()
        names = agreement.months_back(now, months)
        since = agreement.month_start(names[0])
        store, clock, rules = self.context.store, self.sla_clock(), self.context.rules
        hours = rules.sla.hours.get(Stage.MQL, 48)
        dues = agreement.dues_by_hour(clock, hours, since - agreement.LOOK_BACK, now)
        answered: dict[str, int] = {}
        in_time: dict[str, int] = {}
        for month, handed_at, answered_at, count, sure in store.answers_by_month(since, dues):
            answered[month] = answered.get(month, 0) + count
            if handed_at is not None and answered_at is not None:  # near the due time: measured
                sure = count if clock.between(handed_at, answered_at) <= hours else 0
            in_time[month] = in_time.get(month, 0) + sure
        return agreement.compare(rules.agreement, names, store.handed_over_by_month(since), answered, in_time, now)

    def balance(self, now: datetime | None = None) -> Balance:
        now = now or utcnow()
        clock = self.sla_clock()
        members = [member for member in self.context.store.team() if member.role in (Role.REP, Role.LEAD)]
        rows = {member.login: RepBalance(member=member, ages={label: 0 for _, label in AGE_BUCKETS},
                                         away_now=member.is_away(now.date()))
                for member in members}
        pool = PoolBalance()
        # Each age bucket, and breached and soon due, begins at a hand-over moment the clock
        # finds; the database counts the open MQLs on either side of each, per owner.
        aged = [clock.aged_by(limit, now) for limit, _ in AGE_BUCKETS[:-1]]
        breached_by, soon_by = clock.handed_over_by(Stage.MQL, now)
        for owner, (count, handed, *before) in self.context.store.open_lead_tallies([*aged, breached_by, soon_by]).items():
            row = pool if owner is None else rows.get(owner)
            if row is None:
                continue
            row.open_leads += count
            older = [*before[:len(aged)], 0]  # handed over at or before each bucket's start
            younger = handed
            for (_limit, label), at_least in zip(AGE_BUCKETS, older):
                row.ages[label] += younger - at_least
                younger = at_least
            row.breached += before[-2]
            row.soon_due += before[-1] - before[-2]
        local_now = now.astimezone(clock.zone)
        week_start = datetime.combine(local_now.date() - timedelta(days=local_now.weekday()), time(0),
                                      tzinfo=clock.zone)
        for (actor, action), count in self.context.store.action_counts_since(week_start, ("accept", "return")).items():
            if actor in rows:
                if action == "accept":
                    rows[actor].accepted_this_week += count
                else:
                    rows[actor].returned_this_week += count
        for login, (count, score) in self.context.store.given_totals(now - timedelta(days=WINDOW_DAYS)).items():
            if login in rows:
                rows[login].window_count += count
                rows[login].window_score += score
        reps = [row for row in rows.values() if row.member.role is Role.REP]
        return Balance(
            reps=list(rows.values()),
            count_spread=_spread([row.window_count / row.member.capacity for row in reps]),
            score_spread=_spread([row.window_score / row.member.capacity for row in reps]),
            pool=pool,
        )
