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
from triage.domain.language import N_, _
from triage.domain.text import one_line, printable

from .lead_detail import lead_content
from .note_dialog import NoteDialog
from .screen_commands import speak_bindings


#: How the board reads each path of a return.
PATH_WORDS = {"nurture": N_("back to nurture"), "disqualify": N_("disqualified")}


def return_content(event: AuditEvent) -> Content:
    """The return itself: who, when, why, which path, and the rep's note in full."""
    parts: list[tuple[str, str]] = [
        (_("Returned "), "bold"), (f"{event.at.astimezone():%Y-%m-%d %H:%M}", ""), (_(" by "), "$text-muted"),
        (printable(event.actor), "bold"), ("\n", ""),
        (_("reason").ljust(12) + " ", "$text-muted"), (event.reason.label if event.reason else "-", ""), ("\n", ""),
        (_("path").ljust(12) + " ", "$text-muted"),
        (_(PATH_WORDS.get(event.path.value, event.path.value)) if event.path else "-", ""),
        ("\n", ""), (_("note").ljust(12) + " ", "$text-muted"),
    ]
    parts.append((printable(event.note), "italic") if event.note else (_("no note"), "italic $text-muted"))
    return Content.assemble(*parts)


class ReturnDetail(Screen[bool]):
    CSS_PATH = "return_detail.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Back"), id="return_detail.close"),
        Binding("c", "confirm", N_("Confirm"), tooltip=N_("The board agrees with the return; the lead stays"),
                id="return_detail.confirm"),
        Binding("o", "overturn", N_("Overturn"), tooltip=N_("Send the lead back to sales as an MQL, with a note"),
                id="return_detail.overturn"),
    ]

    def __init__(self, service: Services, lead_id: int, event: AuditEvent) -> None:
        super().__init__()
        speak_bindings(self)
        self.service = service
        self.lead_id = lead_id
        self.event = event

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="return-detail"):
            yield Static(return_content(self.event), id="return-what")
            yield Static(Content.styled(_("Reading the lead…"), "italic $text-muted"), id="return-lead")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Return of lead #{id}").format(id=self.lead_id)
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
            self.app.call_from_thread(self.notify, one_line(exc), title=_("Not done"), severity="error",
                                      markup=False, timeout=8)
            return
        self.app.call_from_thread(self._done, _("Return of #{id} confirmed").format(id=self.lead_id))

    def action_overturn(self) -> None:
        def noted(note: str | None) -> None:
            if note is not None:
                self._done(_("#{id} back to sales as an MQL").format(id=self.lead_id))

        self.app.push_screen(overturn_dialog(self.service, self.lead_id), noted)

    def _done(self, message: str) -> None:
        self.notify(message, markup=False, timeout=3)
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)


def overturn_dialog(service: Services, lead_id: int) -> NoteDialog:
    """The note an overturn needs, stored through the service: the dialog stays open with
    the reason when the service refuses (an empty note, a lead no longer returned)."""
    return NoteDialog(_("Overturn the return of lead #{id}: why should sales look again?").format(id=lead_id),
                      _("a note for sales (required)"), save=lambda note: service.review.overturn_return(lead_id, note))
