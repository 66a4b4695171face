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
from triage.domain import language
from triage.domain.language import N_, _, counted
from triage.domain.models import Channel, ReturnReason
from triage.domain.text import one_line, printable

from .confirm_dialog import when_confirmed
from .lead_queue import fit
from .measured_table import MeasuredTable
from .return_detail import ReturnDetail, overturn_dialog
from .screen_commands import speak_bindings

PERIODS = (30, 90, 7)
BAR = 20
#: A channel whose leads come back this often is worth a word with marketing.
HIGH_RETURN_RATE = 0.5
#: What the board said of a return, in the board column.
REVIEWED = {"confirmed": N_("confirmed"), "overturned": N_("overturned")}


#: A reason's or channel's name in the "By …" lists: cut at this many cells.
NAME_CELLS = 28


def named(code: str, kind: type[ReturnReason] | type[Channel]) -> str:
    """A reason's or a channel's name in the language in use, from its code (the code as
    it is when it is none of them: a value a newer triage wrote)."""
    try:
        return kind(code).label
    except ValueError:
        return printable(code)


#: A reason's name in the table of returns: cut at this many cells.
TABLE_CELLS = 20


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
    line((counted(len(review.returns), "{count} return from {since} to {until}", "{count} returns from {since} to {until}",
                  since=language.shown_day(review.since, "%d %b", year=False),
                  until=language.shown_day(last_day, "%d %b %Y")), "bold"))
    for title, counts, name in ((_("By reason"), review.by_reason, lambda key: named(key, ReturnReason)),
                                (_("By rep"), review.by_rep, printable)):
        line()
        line((title, "bold underline"))
        for key, count in counts.most_common():
            line((f"{fit(name(key), NAME_CELLS)} {count:>5}  ", ""), (bar(count / total), "$primary"),
                 (f" {language.percent(count / total):>4}", "$text-muted"))
    line()
    line((_("By channel: returned of handed over in the period"), "bold underline"))
    for channel, (returned, handed) in review.by_channel.items():
        rate = returned / handed if handed else 1.0
        style = "$error" if rate >= HIGH_RETURN_RATE else "$primary"
        note = _("  high: marketing may need to change") if rate >= HIGH_RETURN_RATE else ""
        of = _("{returned} of {handed}").format(returned=f"{returned:>5}", handed=f"{handed:<5}")
        line((f"{fit(named(channel, Channel), NAME_CELLS)} {of} ", ""),
             (bar(min(rate, 1)), style), (f" {language.percent(rate):>4}{note}", "$text-muted" if not note else "$error"))
    later = review.later_accepted
    line()
    line((_("Returned and later accepted: {count}").format(count=len(later)), "bold underline"),
         (_("  (sales may have been wrong)") if later else "", "$text-muted"))
    for item in later[:10]:
        line((f"#{item.lead.id} ", "$text-muted"), (printable(item.lead.name or _("(no name)")), ""),
             (_("  returned by {login}, now {stage}").format(login=printable(item.event.actor),
                                                           stage=item.lead.stage.label), "$text-muted"))
    parts.pop()
    return Content.assemble(*parts)


class ReviewBoard(Screen[None]):
    CSS_PATH = "review_board.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Back"), id="review.close"),
        Binding("enter", "open", N_("Open"), tooltip=N_("The return's note, the lead's checklist and history"),
                priority=True, id="review.open"),
        Binding("c", "confirm", N_("Confirm"), id="review.confirm"),
        Binding("o", "overturn", N_("Overturn"), tooltip=N_("Send the lead back to sales, with a note"),
                id="review.overturn"),
        Binding("p", "period", N_("Period"), tooltip=N_("7, 30 or 90 days"), id="review.period"),
    ]

    def __init__(self, service: Services) -> None:
        super().__init__()
        speak_bindings(self)
        self.service = service
        self.days = PERIODS[0]
        self.review: Review | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-box"):
            with VerticalScroll(id="review-groups"):
                yield Static(_("Reading the returns…"), id="review-summary", markup=False)
            yield MeasuredTable(id="review-table", cursor_type="row", zebra_stripes=True, fixed_columns=2)
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Review board")
        self.query_one(DataTable).add_columns(_("lead"), _("name"), _("channel"), _("reason"), _("path"),
                                              _("returned by"), _("returned"), _("now"), _("board"), _("note"))
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
                str(item.lead.id), Text(one_line(item.lead.name) or _("(no name)")), item.lead.channel.label,
                fit(item.event.reason.label, TABLE_CELLS).rstrip() if item.event.reason else "",
                item.event.path.label if item.event.path else "",
                Text(one_line(item.event.actor)), language.shown_day(item.event.at.astimezone(), "%d %b", year=False),
                item.lead.stage.label, _(REVIEWED.get(item.reviewed, item.reviewed)), Text(one_line(item.event.note)[:40]),
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
                self.notify(_("#{id} back to sales as an MQL").format(id=lead_id), markup=False, timeout=3)
                self.load()

        self.app.push_screen(overturn_dialog(self.service, lead_id), noted)

    @work(thread=True, group="review-act")
    def _act(self, lead_id: int, what: str, note: str) -> None:
        try:
            self.service.review.confirm_return(lead_id, note)
            message = _("Return of #{id} confirmed").format(id=lead_id)
        except TriageError as exc:
            self.app.call_from_thread(self.notify, one_line(exc), title=_("Not done"), severity="error",
                                      markup=False, timeout=8)
            return
        self.app.call_from_thread(self.notify, message, markup=False, timeout=3)
        self.app.call_from_thread(self.load)

    def action_period(self) -> None:
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)]
        self.notify(_("Returns of the last {days} days").format(days=self.days), markup=False, timeout=2)
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
