"""The team lead's balance screen: is the work shared fairly, and is every MQL answered in time?

Per rep: open leads against their cap (or, without a cap, against the most loaded rep) as
a bar, open leads by age in business hours, SLA breaches and soon-due leads, accepted and
returned this week, and leads and points given over the window. Below, the fairness
figures of the team. A team lead assigns the pool or sends a rep's open leads back to it
from here; the services refuse anyone else.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from triage.errors import TriageError
from triage.models import ROLE_LABELS
from triage.services import LeadService
from triage.teamwork import AGE_BUCKETS, Balance
from triage.text import one_line

from .member_dialog import MemberDialog

BAR_WIDTH = 12


def load_bar(open_leads: int, limit: int) -> Text:
    filled = min(BAR_WIDTH, round(BAR_WIDTH * open_leads / limit)) if limit else 0
    style = "red" if limit and open_leads >= limit else "green"
    return Text("█" * filled, style=style) + Text("░" * (BAR_WIDTH - filled), style="dim")


class BalanceScreen(Screen[None]):
    CSS_PATH = "balance.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("A", "assign_pool", "Assign pool", tooltip="Assign the unassigned pool to the reps (team lead)"),
        Binding("P", "to_pool", "Rep's leads to pool", tooltip="Send the selected rep's open leads back to the pool"),
        Binding("n", "add_member", "Add member", tooltip="Add a member to the team (team lead)"),
        Binding("e", "edit_member", "Edit member", tooltip="Change the selected member (team lead)"),
        Binding("ctrl+r,f5", "reload", "Refresh"),
    ]

    def __init__(self, service: LeadService) -> None:
        super().__init__()
        self.service = service
        self.balance: Balance | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="balance-box"):
            yield DataTable(id="balance-table", cursor_type="row", zebra_stripes=True)
            yield Static("Reading the team's queues…", id="balance-summary", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Team balance"
        table = self.query_one(DataTable)
        table.add_columns("rep", "role", "cap.", "open", "", *(label for _, label in AGE_BUCKETS),
                          "breached", "soon", "acc. wk", "ret. wk", "30 d leads", "30 d points")
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="balance")
    def load(self) -> None:
        try:
            balance = self.service.balance()
        except TriageError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.show_balance, balance)

    def _failed(self, exc: TriageError) -> None:
        self.query_one("#balance-summary", Static).update(Text(one_line(exc), style="red"))

    def show_balance(self, balance: Balance) -> None:
        """Members with no role in sales work (the review board) are not listed."""
        self.balance = balance
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        most = max((row.open_leads for row in balance.reps), default=0)
        for row in balance.reps:
            member = row.member
            limit = member.cap if member.cap is not None else most
            name = Text(one_line(member.name or member.login))
            if row.away_now:
                name += Text(" (away)", style="italic dim")
            table.add_row(
                name, ROLE_LABELS[member.role], f"{member.capacity:g}",
                Text(f"{row.open_leads}" + (f"/{member.cap}" if member.cap is not None else ""), justify="right"),
                load_bar(row.open_leads, limit),
                *(Text(str(row.ages[label]), justify="right") for _, label in AGE_BUCKETS),
                Text(str(row.breached), style="bold red" if row.breached else "", justify="right"),
                Text(str(row.soon_due), style="yellow" if row.soon_due else "", justify="right"),
                Text(str(row.accepted_this_week), justify="right"), Text(str(row.returned_this_week), justify="right"),
                Text(str(row.window_count), justify="right"), Text(str(row.window_score), justify="right"),
                key=member.login,
            )
        if balance.reps:
            table.move_cursor(row=min(cursor, len(balance.reps) - 1))
        breached = sum(row.breached for row in balance.reps)
        self.query_one("#balance-summary", Static).update(
            f"Fairness over {balance.window_days} days, spread of leads per unit of capacity "
            f"(max − min) / mean: {balance.count_spread:.2f}; of points per capacity: "
            f"{balance.score_spread:.2f} (0 is perfectly even).\n"
            f"SLA: {breached} open MQLs breached, {sum(row.soon_due for row in balance.reps)} soon due."
        )

    def _selected_login(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_assign_pool(self) -> None:
        self._team_lead_act("assign")

    def action_to_pool(self) -> None:
        login = self._selected_login()
        if login is not None:
            self._team_lead_act("to_pool", login)

    @work(thread=True, exclusive=True, group="balance-act")
    def _team_lead_act(self, what: str, login: str | None = None) -> None:
        try:
            if what == "assign":
                outcome = self.service.assign_pool()
                message = (f"Assigned {len(outcome.assignments)} leads; "
                           f"{len(outcome.unassigned)} stay in the pool")
            else:
                done = self.service.release(login or "")
                message = f"{len(done)} open leads of {login} back to the pool"
        except TriageError as exc:
            self.app.call_from_thread(
                self.notify, one_line(exc), title="Not done", severity="error", markup=False, timeout=8)
            return
        self.app.call_from_thread(self.notify, message, markup=False, timeout=4)
        self.app.call_from_thread(self.load)

    def action_add_member(self) -> None:
        self.app.push_screen(MemberDialog(), lambda fields: fields and self._save_member(fields, True))

    def action_edit_member(self) -> None:
        login = self._selected_login()
        member = next((row.member for row in self.balance.reps if row.member.login == login), None) if self.balance else None
        if member is not None:
            self.app.push_screen(MemberDialog(member), lambda fields: fields and self._save_member(fields, False))

    @work(thread=True, exclusive=True, group="balance-act")
    def _save_member(self, fields: dict, new: bool) -> None:
        try:
            member = self.service.save_member(fields, new=new)
        except TriageError as exc:
            self.app.call_from_thread(
                self.notify, one_line(exc), title="Not saved", severity="error", markup=False, timeout=8)
            return
        verb = "Added" if new else "Changed"
        self.app.call_from_thread(self.notify, f"{verb} {one_line(member.login)}", markup=False, timeout=3)
        self.app.call_from_thread(self.load)

    def action_reload(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
