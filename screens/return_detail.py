"""One return as the review board judges it: the rep's reason and note, then the lead with
its checklist and its whole history. The board confirms (`c`) or overturns (`o`) it here.

Closes with True when the board acted (the board's list is read again), else False.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from triage.domain.checklist import ChecklistItem
from triage.domain.errors import TriageError
from triage.domain.models import AuditEvent, Lead
from triage.services import Services
from triage.domain.text import one_line, printable

from .lead_detail import lead_content
from .note_dialog import NoteDialog


def return_content(event: AuditEvent) -> Content:
    """The return itself: who, when, why, which path, and the rep's note in full."""
    parts: list[tuple[str, str]] = [
        ("Returned ", "bold"), (f"{event.at.astimezone():%Y-%m-%d %H:%M}", ""), (" by ", "$text-muted"),
        (printable(event.actor), "bold"), ("\n", ""),
        (f"{'reason':<12} ", "$text-muted"), (event.reason.label if event.reason else "-", ""), ("\n", ""),
        (f"{'path':<12} ", "$text-muted"),
        ({"nurture": "back to nurture", "disqualify": "disqualified"}.get(event.path.value, event.path.value)
         if event.path else "-", ""),
        ("\n", ""), (f"{'note':<12} ", "$text-muted"),
    ]
    parts.append((printable(event.note), "italic") if event.note else ("no note", "italic $text-muted"))
    return Content.assemble(*parts)


class ReturnDetail(Screen[bool]):
    CSS_PATH = "return_detail.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back", id="return_detail.close"),
        Binding("c", "confirm", "Confirm", tooltip="The board agrees with the return; the lead stays",
                id="return_detail.confirm"),
        Binding("o", "overturn", "Overturn", tooltip="Send the lead back to sales as an MQL, with a note",
                id="return_detail.overturn"),
    ]

    def __init__(self, service: Services, lead_id: int, event: AuditEvent) -> None:
        super().__init__()
        self.service = service
        self.lead_id = lead_id
        self.event = event

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="return-detail"):
            yield Static(return_content(self.event), id="return-what")
            yield Static(Content.styled("Reading the lead…", "italic $text-muted"), id="return-lead")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Return of lead #{self.lead_id}"
        self.query_one("#return-detail").focus()
        self.load()

    @work(thread=True, exclusive=True, group="return-detail")
    def load(self) -> None:
        try:
            lead = self.service.decisions.lead(self.lead_id)
            history = self.service.decisions.history(self.lead_id)
            items = self.service.decisions.checklist(lead)
        except TriageError as exc:
            self.app.call_from_thread(self._show_error, one_line(exc))
            return
        self.app.call_from_thread(self._show, lead, history, items)

    def _show(self, lead: Lead, history: list[AuditEvent], items: list[ChecklistItem]) -> None:
        self.query_one("#return-lead", Static).update(lead_content(lead, history, items))

    def _show_error(self, why: str) -> None:
        self.query_one("#return-lead", Static).update(Content.styled(printable(why), "$error"))

    def action_confirm(self) -> None:
        self._confirm()

    @work(thread=True, exclusive=True, group="return-act")
    def _confirm(self) -> None:
        try:
            self.service.review.confirm_return(self.lead_id)
        except TriageError as exc:
            self.app.call_from_thread(self.notify, one_line(exc), title="Not done", severity="error",
                                      markup=False, timeout=8)
            return
        self.app.call_from_thread(self._done, f"Return of #{self.lead_id} confirmed")

    def action_overturn(self) -> None:
        def noted(note: str | None) -> None:
            if note is not None:
                self._done(f"#{self.lead_id} back to sales as an MQL")

        self.app.push_screen(overturn_dialog(self.service, self.lead_id), noted)

    def _done(self, message: str) -> None:
        self.notify(message, markup=False, timeout=3)
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)


def overturn_dialog(service: Services, lead_id: int) -> NoteDialog:
    """The note an overturn needs, stored through the service: the dialog stays open with
    the reason when the service refuses (an empty note, a lead no longer returned)."""
    return NoteDialog(f"Overturn the return of lead #{lead_id}: why should sales look again?",
                      "a note for sales (required)", save=lambda note: service.review.overturn_return(lead_id, note))
