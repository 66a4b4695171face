"""The highlighted lead: contact, qualification checklist and history, all as plain text."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from triage.domain import language
from triage.domain.checklist import ChecklistItem, Verdict, checklist
from triage.domain.language import N_, _
from triage.domain.models import AuditEvent, Lead
from triage.domain.scoring import reason_text
from triage.domain.sla import SlaState, SlaStatus
from triage.domain.text import printable
from triage.services.decisions import ACTION_LABELS

from .lead_queue import age_text
from .screen_commands import speak_bindings

VERDICT_MARKS = {
    Verdict.OK: ("✔", "$success"),
    Verdict.WARN: ("!", "$warning"),
    Verdict.BAD: ("✘", "$error"),
    Verdict.INFO: ("·", "$text-muted"),
}

Part = tuple[str, str]


def _data(value: object, style: str = "") -> Part:
    """User data as an inert (text, style) part: never parsed as markup, controls replaced."""
    return (printable(value), style)


def lead_content(
    lead: Lead, history: list[AuditEvent], items: list[ChecklistItem] | None = None, sla: SlaStatus | None = None
) -> Content:
    """The whole panel as one Content, styled with the theme's variables; `items` is the
    checklist under the rules in force (the default rules when not given)."""
    parts: list[Part] = []

    def line(*items: Part | str) -> None:
        parts.extend((item, "") if isinstance(item, str) else item for item in items)
        parts.append(("\n", ""))

    def field(label: str, value: Part) -> None:
        line((f"{_(label):<12} ", "$text-muted"), value)

    def heading(title: str) -> None:
        line()
        line((title, "bold underline"))

    line((f"#{lead.id} ", "$text-muted"),
         _data(" ".join(p for p in (lead.salutation, lead.name) if p) or _("(no name)"), "bold"))
    role: list[Part]
    if lead.job_title and lead.company:
        role = [_data(lead.job_title), (_(" at "), "$text-muted"), _data(lead.company, "bold")]
    elif lead.company:
        role = [_data(lead.company, "bold"), (_("  (no job title)"), "$text-muted")]
    elif lead.job_title:
        role = [_data(lead.job_title), (_("  (no company)"), "$text-muted")]
    else:
        role = [(_("no job title, no company"), "$text-muted")]
    line(*role, (f"  {lead.country or '--'}", "$text-muted"))
    line()
    field(N_("email"), _data(lead.email or "-"))
    field(N_("phone"), _data(lead.phone or "-"))
    field(N_("stage"), (lead.stage.label, ""))
    field(N_("owner"), _data(lead.owner or _("unassigned pool")))
    field(N_("score"), (f"{lead.score}", "bold"))
    if lead.grade:
        parts[-1:-1] = [(_("   grade "), "$text-muted"), (lead.grade, "bold")]
    if lead.recycle_count:
        parts[-1:-1] = [(_("   recycled {count}×").format(count=lead.recycle_count), "")]
    for index, part in enumerate(lead.score_breakdown):
        style = "$success" if part.points > 0 else "$error"
        parts.extend([("  " if index == 0 else ", ", ""), (f"{part.points:+d} ", style), _data(reason_text(part.reason))])
    if lead.score_breakdown:
        parts.append(("\n", ""))
    if lead.handed_over_at is not None:
        now = datetime.now(timezone.utc)
        field(N_("handed over"), (f"{language.shown_moment(lead.handed_over_at, '%d %b %H:%M')} "
                                  f"({age_text(lead.handed_over_at, now)})", ""))
        if sla is not None:
            style = {SlaState.BREACHED: "bold $error", SlaState.SOON: "$warning"}.get(sla.state, "")
            field(N_("SLA"), (_("due {moment}: {left}").format(
                moment=language.shown_moment(sla.due, "%a %d %b %H:%M"), left=sla.text()), style))
    heading(_("Qualification checklist"))
    for item in items if items is not None else checklist(lead):
        mark, style = VERDICT_MARKS[item.verdict]
        source: list[Part] = []
        if item.source == "confirmed":
            source = [(_("  ✔ rep"), "$success")]
        elif item.source == "set by rep":
            source = [(_("  set by rep; data: "), "$warning"), _data(item.derived, "$warning")]
        line((mark + " ", style), (f"{item.label:<13}" if len(item.label) < 13 else item.label + " ", "$text-muted"), _data(item.answer), *source)
    if lead.notes:
        heading(_("Notes"))
        for note_line in lead.notes.splitlines():
            line(_data(note_line))
    heading(_("History"))
    if not history:
        line((_("no decisions yet"), "italic $text-muted"))
    for event in history:
        words: list[Part | str] = [(f"{event.at.astimezone():%Y-%m-%d %H:%M} ", "$text-muted"),
                                   _data(event.actor, "bold"), " " + _(ACTION_LABELS.get(event.action, event.action))]
        if event.from_stage and event.to_stage:
            words.append(f" {event.from_stage.label} → {event.to_stage.label}")
        if event.reason:
            words.append(f" ({event.reason.value}, {event.path.value if event.path else '-'})")
        if event.note:
            words += [": ", _data(event.note, "italic")]
        line(*words)
    parts.pop()
    return Content.assemble(*parts)


class LeadDetail(VerticalScroll):
    """Shows one lead; the app loads it in a worker and calls `show`.

    With focus here the arrows and page keys scroll the panel, while the queue's own
    letters (j k g G) still move through the queue: the rep reads a long history without
    losing the way through the leads."""

    #: The screen moves the queue (`QueueScreen.action_queue_move`) at once, before the next
    #: key, so that `j` then `a` typed together accept the lead `j` moved to.
    BINDINGS = [
        Binding("j", "screen.queue_move('cursor_down')", N_("Next lead"), show=False),
        Binding("k", "screen.queue_move('cursor_up')", N_("Previous lead"), show=False),
        Binding("g", "screen.queue_move('first')", N_("First lead"), show=False),
        Binding("G", "screen.queue_move('last')", N_("Last lead"), show=False),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        speak_bindings(self)

    def on_focus(self) -> None:
        self.border_subtitle = _("↑↓ scroll · j k move queue")

    def on_blur(self) -> None:
        self.border_subtitle = ""

    def compose(self):
        yield Static(Content.styled(_("No lead selected."), "italic $text-muted"), id="lead-detail-body")

    def show(self, lead: Lead, history: list[AuditEvent], items: list[ChecklistItem] | None = None,
             sla: SlaStatus | None = None) -> None:
        self.border_title = _("Lead #{id}").format(id=lead.id)
        self.query_one("#lead-detail-body", Static).update(lead_content(lead, history, items, sla))

    def clear(self, message: str = "") -> None:
        self.border_title = _("Lead")
        message = message or _("No lead selected.")
        self.query_one("#lead-detail-body", Static).update(Content.styled(printable(message), "italic $text-muted"))
