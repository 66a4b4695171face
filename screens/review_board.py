"""The review board's screen: what sales returned in a period, and why.

Returns grouped by reason, channel and rep, drawn as bars; channels whose leads come back
often (marketing may need to change); leads returned and later accepted (sales may have
been wrong). Below, the returned leads themselves: Enter opens a return to the rep's note,
the lead's checklist and its history; the board confirms a return (`c`) or overturns it
(`o`, with a note), sending the lead back to sales, here or there. Both are audited.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from triage.domain.errors import TriageError
from triage.services import Services
from triage.services.review import Review
from triage.domain.text import counted, one_line, printable

from .confirm_dialog import when_confirmed
from .return_detail import ReturnDetail, overturn_dialog

PERIODS = (30, 90, 7)
BAR = 20
#: A channel whose leads come back this often is worth a word with marketing.
HIGH_RETURN_RATE = 0.5


def bar(share: float) -> str:
    filled = round(share * BAR)
    return "█" * filled + "░" * (BAR - filled)


def review_content(review: Review) -> Content:
    parts: list[tuple[str, str]] = []
    total = len(review.returns) or 1

    def line(*items: tuple[str, str]) -> None:
        parts.extend(items)
        parts.append(("\n", ""))

    last_day = review.until - timedelta(seconds=1)
    line((f"{counted(len(review.returns), 'return')} from {review.since:%d %b} to {last_day:%d %b %Y}", "bold"))
    for title, counts in (("By reason", review.by_reason), ("By rep", review.by_rep)):
        line()
        line((title, "bold underline"))
        for key, count in counts.most_common():
            line((f"{printable(key)[:18]:<18} {count:>5}  ", ""), (bar(count / total), "$primary"),
                 (f" {count / total:>4.0%}", "$text-muted"))
    line()
    line(("By channel: returned of handed over in the period", "bold underline"))
    for channel, (returned, handed) in review.by_channel.items():
        rate = returned / handed if handed else 1.0
        style = "$error" if rate >= HIGH_RETURN_RATE else "$primary"
        note = "  high: marketing may need to change" if rate >= HIGH_RETURN_RATE else ""
        line((f"{channel.replace('_', ' ')[:18]:<18} {returned:>5} of {handed:<5} ", ""), (bar(min(rate, 1)), style),
             (f" {rate:>4.0%}{note}", "$text-muted" if not note else "$error"))
    later = review.later_accepted
    line()
    line((f"Returned and later accepted: {len(later)}", "bold underline"),
         ("  (sales may have been wrong)" if later else "", "$text-muted"))
    for item in later[:10]:
        line((f"#{item.lead.id} ", "$text-muted"), (printable(item.lead.name or "(no name)"), ""),
             (f"  returned by {printable(item.event.actor)}, now {item.lead.stage.label}", "$text-muted"))
    parts.pop()
    return Content.assemble(*parts)


class ReviewBoard(Screen[None]):
    CSS_PATH = "review_board.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back", id="review.close"),
        Binding("enter", "open", "Open", tooltip="The return's note, the lead's checklist and history", priority=True,
                id="review.open"),
        Binding("c", "confirm", "Confirm", id="review.confirm"),
        Binding("o", "overturn", "Overturn", tooltip="Send the lead back to sales, with a note", id="review.overturn"),
        Binding("p", "period", "Period", tooltip="7, 30 or 90 days", id="review.period"),
    ]

    def __init__(self, service: Services) -> None:
        super().__init__()
        self.service = service
        self.days = PERIODS[0]
        self.review: Review | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-box"):
            with VerticalScroll(id="review-groups"):
                yield Static("Reading the returns…", id="review-summary")
            yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True, fixed_columns=2)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Review board"
        self.query_one(DataTable).add_columns("lead", "name", "channel", "reason", "path", "returned by",
                                              "returned", "now", "board", "note")
        self.query_one(DataTable).focus()
        self.load()

    def _period(self) -> tuple[datetime, datetime]:
        today = datetime.now(timezone.utc).date()
        until = datetime.combine(today + timedelta(days=1), time(0), tzinfo=timezone.utc)
        return until - timedelta(days=self.days), until

    @work(thread=True, exclusive=True, group="review")
    def load(self) -> None:
        try:
            review = self.service.review.review(*self._period())
        except TriageError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.show_review, review)

    def _failed(self, exc: TriageError) -> None:
        self.query_one("#review-summary", Static).update(Content.styled(printable(one_line(exc)), "$error"))

    def show_review(self, review: Review) -> None:
        self.review = review
        self.query_one("#review-summary", Static).update(review_content(review))
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for item in review.returns:
            table.add_row(
                str(item.lead.id), Text(one_line(item.lead.name) or "(no name)"), item.lead.channel.value,
                item.event.reason.value if item.event.reason else "", item.event.path.value if item.event.path else "",
                Text(one_line(item.event.actor)), f"{item.event.at.astimezone():%d %b}", item.lead.stage.label,
                item.reviewed, Text(one_line(item.event.note)[:40]),
                key=f"{item.lead.id}:{item.event.id}",
            )
        if review.returns:
            table.move_cursor(row=min(cursor, len(review.returns) - 1))
        self.refresh_bindings()

    def _selected(self) -> int | None:
        item = self._selected_return()
        return item.lead.id if item is not None else None

    def _selected_return(self):
        table = self.query_one(DataTable)
        if not table.row_count or self.review is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((item for item in self.review.returns if f"{item.lead.id}:{item.event.id}" == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys for a return are greyed while there is none."""
        if action in ("open", "confirm", "overturn") and self.is_mounted and self._selected_return() is None:
            return None
        return True

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        item = self._selected_return()
        if item is not None:
            self.app.push_screen(ReturnDetail(self.service, item.lead.id, item.event),
                                 when_confirmed(self.load))

    def action_confirm(self) -> None:
        lead_id = self._selected()
        if lead_id is not None:
            self._act(lead_id, "confirm", "")

    def action_overturn(self) -> None:
        lead_id = self._selected()
        if lead_id is None:
            return

        def noted(note: str | None) -> None:
            if note is not None:
                self.notify(f"#{lead_id} back to sales as an MQL", markup=False, timeout=3)
                self.load()

        self.app.push_screen(overturn_dialog(self.service, lead_id), noted)

    @work(thread=True, group="review-act")
    def _act(self, lead_id: int, what: str, note: str) -> None:
        try:
            self.service.review.confirm_return(lead_id, note)
            message = f"Return of #{lead_id} confirmed"
        except TriageError as exc:
            self.app.call_from_thread(self.notify, one_line(exc), title="Not done", severity="error",
                                      markup=False, timeout=8)
            return
        self.app.call_from_thread(self.notify, message, markup=False, timeout=3)
        self.app.call_from_thread(self.load)

    def action_period(self) -> None:
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)]
        self.notify(f"Returns of the last {self.days} days", markup=False, timeout=2)
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
