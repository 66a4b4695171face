"""The team lead's balance screen: is the work shared fairly, and is every MQL answered in time?

Per rep: open leads against their cap (or, without a cap, against the most loaded rep) as
a bar, open leads by age in business hours, SLA breaches and soon-due leads, accepted and
returned this week, and leads and points given over the window. The unassigned pool has a
row of its own: its SLA clocks run too. Below, the fairness figures of the team and the
SLA in total. A team lead assigns the pool or sends a rep's open leads back to it from
here, each after a confirmation with the count; the services refuse anyone else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from triage.domain.errors import TriageError
from triage.domain.models import TeamMember
from triage.services import Services
from triage.domain.fairness import Outcome
from triage.services.team import AGE_BUCKETS, Balance
from triage.domain import language
from triage.domain.language import N_, _, counted
from triage.domain.text import one_line

from .confirm_dialog import ConfirmDialog, when_confirmed
from .measured_table import MeasuredTable
from .member_dialog import MemberDialog
from .screen_commands import speak_bindings

BAR_WIDTH = 12
#: The row key of the unassigned pool's row.
POOL = "\x00pool"


@dataclass
class AssignPlan:
    """What `A` would do, counted batch by batch: a million leads' assignments (each with
    its explanation) are never held at once."""

    per_rep: Counter[str] = field(default_factory=Counter)
    unassigned: int = 0
    #: Why the first lead left in the pool stays there.
    why_unassigned: str = ""

    def add(self, outcome: Outcome) -> None:
        self.per_rep.update(assignment.login for assignment in outcome.assignments)
        if outcome.unassigned and not self.unassigned:
            self.why_unassigned = outcome.unassigned[0][1]
        self.unassigned += len(outcome.unassigned)

    @property
    def assigned(self) -> int:
        return sum(self.per_rep.values())


def load_bar(open_leads: int, limit: int) -> Text:
    filled = min(BAR_WIDTH, round(BAR_WIDTH * open_leads / limit)) if limit else 0
    style = "red" if limit and open_leads >= limit else "green"
    return Text("█" * filled, style=style) + Text("░" * (BAR_WIDTH - filled), style="dim")


def number(value: int, style: str = "") -> Text:
    """A count in its column: digits only in English, as always; grouped as the language writes it otherwise."""
    shown = str(value) if language.current() == "en" else language.number(value)
    return Text(shown, style=style if value else "", justify="right")


class BalanceScreen(Screen[None]):
    CSS_PATH = "balance.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Back"), id="balance.close"),
        Binding("A", "assign_pool", N_("Assign pool"), tooltip=N_("Assign the unassigned pool to the reps (team lead)"),
                id="balance.assign_pool"),
        Binding("P", "to_pool", N_("Release"), tooltip=N_("Send the selected rep's open leads back to the pool"),
                id="balance.to_pool"),
        Binding("n", "add_member", N_("Add"), tooltip=N_("Add a member to the team (team lead)"),
                id="balance.add_member"),
        Binding("e", "edit_member", N_("Edit"), tooltip=N_("Change the selected member (team lead)"),
                id="balance.edit_member"),
        Binding("ctrl+r,f5", "reload", N_("Refresh"), show=False, tooltip=N_("Read the team's queues again"),
                id="balance.reload"),
    ]

    def __init__(self, service: Services) -> None:
        super().__init__()
        speak_bindings(self)
        self.service = service
        self.balance: Balance | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="balance-box"):
            yield MeasuredTable(id="balance-table", cursor_type="row", zebra_stripes=True, fixed_columns=1)
            yield Static(_("Reading the team's queues…"), id="balance-summary", markup=False)
            volume = Static(_("Counting…"), id="balance-volume", markup=False)
            volume.border_title = _("Volume agreement")
            yield volume
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Team balance")
        table = self.query_one(DataTable)
        table.add_columns(_("rep"), _("role"), _("capacity"), _("open"), _("open of cap"),
                          *(_("age {bucket}").format(bucket=label) for _days, label in AGE_BUCKETS),
                          _("breached"), _("soon due"), _("accepted wk"), _("returned wk"), _("leads 30 d"),
                          _("points 30 d"))
        table.focus()
        self.load()
        self.load_volume()

    @work(thread=True, exclusive=True, group="balance")
    def load(self) -> None:
        try:
            balance = self.service.team.balance()
        except TriageError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.show_balance, balance)

    @work(thread=True, exclusive=True, group="volume")
    def load_volume(self) -> None:
        """The volume agreement both ways, last month and this one (see `triage sla --volume`)."""
        try:
            lines = [month.short() for month in self.service.team.volume(1)]
        except TriageError as exc:
            lines = [one_line(exc)]
        self.app.call_from_thread(self.query_one("#balance-volume", Static).update, "\n".join(lines))

    def _failed(self, exc: TriageError) -> None:
        self.query_one("#balance-summary", Static).update(Text(one_line(exc), style="red"))

    def show_balance(self, balance: Balance) -> None:
        """Members with no role in sales work (the review board) are not listed."""
        self.balance = balance
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        pool = balance.pool
        table.add_row(
            Text(_("unassigned pool"), style="italic"), "", "", number(pool.open_leads), "",
            *(number(pool.ages[label]) for _, label in AGE_BUCKETS),
            number(pool.breached, "bold red"), number(pool.soon_due, "yellow"), "", "", "", "",
            key=POOL,
        )
        most = max((row.open_leads for row in balance.reps), default=0)
        for row in balance.reps:
            member = row.member
            limit = member.cap if member.cap is not None else most
            name = Text(one_line(member.name or member.login))
            if row.away_now:
                name += Text(_(" (away)"), style="italic dim")
            table.add_row(
                name, member.role.label, Text(language.number(member.capacity), justify="right"),
                Text(f"{row.open_leads}" + (f"/{member.cap}" if member.cap is not None else ""), justify="right"),
                load_bar(row.open_leads, limit),
                *(number(row.ages[label]) for _, label in AGE_BUCKETS),
                number(row.breached, "bold red"), number(row.soon_due, "yellow"),
                number(row.accepted_this_week), number(row.returned_this_week),
                number(row.window_count), number(row.window_score),
                key=member.login,
            )
        table.move_cursor(row=min(cursor, table.row_count - 1))
        self.refresh_bindings()
        with_reps = balance.breached - pool.breached
        self.query_one("#balance-summary", Static).update(
            counted(balance.breached, "SLA: {count} open MQL breached ({pool} in the pool, {reps} with the reps), "
                                      "{soon} soon due.",
                    "SLA: {count} open MQLs breached ({pool} in the pool, {reps} with the reps), {soon} soon due.",
                    pool=language.number(pool.breached), reps=language.number(with_reps),
                    soon=language.number(balance.soon_due)) + "\n" +
            _("Fairness over {days} days, spread (max − min) / mean of leads per unit of capacity: {leads}; "
              "of points: {points} (0 is even).").format(
                days=balance.window_days, leads=language.decimal(balance.count_spread, 2),
                points=language.decimal(balance.score_spread, 2))
        )

    def _selected_member(self) -> TeamMember | None:
        """The highlighted team member; None on the pool's row."""
        table = self.query_one(DataTable)
        if not table.row_count or self.balance is None:
            return None
        login = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row.member for row in self.balance.reps if row.member.login == login), None)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A rep's keys are greyed on the pool's row."""
        if action in ("to_pool", "edit_member") and self.is_mounted and self._selected_member() is None:
            return None
        return True

    def _refused(self, exc: TriageError) -> None:
        self.notify(one_line(exc), title=_("Not done"), severity="error", markup=False, timeout=8)

    # --- assigning the pool, releasing a rep's leads -----------------------------------

    def action_assign_pool(self) -> None:
        self._plan_assignment()

    @work(thread=True, exclusive=True, group="balance-act")
    def _plan_assignment(self) -> None:
        """What `A` would do, for the question; refused here already for anyone but a team lead."""
        plan = AssignPlan()
        try:
            for outcome in self.service.team.assign_pool_batches(dry_run=True):
                plan.add(outcome)
        except TriageError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._ask_assign, plan)

    def _ask_assign(self, plan: AssignPlan) -> None:
        if not plan.assigned:
            why = f": {one_line(plan.why_unassigned)}" if plan.unassigned else ""
            self.notify(counted(plan.unassigned, "Nothing to assign; {count} MQL in the pool{why}",
                                "Nothing to assign; {count} MQLs in the pool{why}", why=why),
                        markup=False, timeout=6)
            return
        per_rep = plan.per_rep
        names = {row.member.login: row.member.name or row.member.login for row in self.balance.reps} \
            if self.balance else {}
        details = "\n".join(one_line(names.get(login, login))[:24].ljust(25) + " "
                            + counted(count, "{count} lead", "{count} leads") for login, count in per_rep.most_common())
        if plan.unassigned:
            details += "\n" + counted(plan.unassigned, "{count} MQL stays in the pool: {why}",
                                      "{count} MQLs stay in the pool: {why}", why=one_line(plan.why_unassigned))
        question = counted(plan.assigned, "Assign {count} pool MQL to {reps}?",
                           "Assign {count} pool MQLs to {reps}?",
                           reps=counted(len(per_rep), "{count} rep", "{count} reps"))
        self.app.push_screen(ConfirmDialog(question, details, yes=_("Assign")),
                             when_confirmed(self._team_lead_act, "assign"))

    def action_to_pool(self) -> None:
        member = self._selected_member()
        if member is None or self.balance is None:
            return
        row = next(row for row in self.balance.reps if row.member is member)
        if not row.open_leads:
            self.notify(_("{name} has no open MQLs").format(name=one_line(member.name or member.login)), markup=False,
                        timeout=4)
            return
        question = counted(row.open_leads, "Send {count} open MQL of {name} back to the pool?",
                           "Send {count} open MQLs of {name} back to the pool?",
                           name=one_line(member.name or member.login))
        self.app.push_screen(
            ConfirmDialog(question, _("They wait there to be assigned again or taken."), yes=_("Release")),
            when_confirmed(self._team_lead_act, "to_pool", member.login))

    @work(thread=True, exclusive=True, group="balance-act")
    def _team_lead_act(self, what: str, login: str | None = None) -> None:
        try:
            if what == "assign":
                plan = AssignPlan()
                for outcome in self.service.team.assign_pool_batches():
                    plan.add(outcome)
                message = counted(plan.assigned, "Assigned {count} lead; {left} stay in the pool",
                                  "Assigned {count} leads; {left} stay in the pool",
                                  left=language.number(plan.unassigned))
            else:
                done = self.service.team.release(login or "")
                message = counted(len(done), "{count} open lead of {login} back to the pool",
                                  "{count} open leads of {login} back to the pool", login=login)
        except TriageError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self.notify, message, markup=False, timeout=4)
        self.app.call_from_thread(self.load)

    # --- the team ----------------------------------------------------------------------

    def action_add_member(self) -> None:
        self.app.push_screen(MemberDialog(self.service), self._member_saved)

    def action_edit_member(self) -> None:
        member = self._selected_member()
        if member is not None:
            self.app.push_screen(MemberDialog(self.service, member), self._member_saved)

    def _member_saved(self, member: TeamMember | None) -> None:
        if member is not None:
            self.notify(_("Saved {login}").format(login=one_line(member.login)), markup=False, timeout=3)
            self.load()

    def action_reload(self) -> None:
        self.load()
        self.load_volume()

    def action_close(self) -> None:
        self.dismiss(None)
