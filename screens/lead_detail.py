"""The highlighted lead: contact, qualification checklist and history, all as plain text."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from triage.checklist import Verdict, checklist
from triage.models import AuditEvent, Lead
from triage.text import printable

VERDICT_MARKS = {
    Verdict.OK: ("✔", "green"),
    Verdict.WARN: ("!", "yellow"),
    Verdict.BAD: ("✘", "red"),
    Verdict.INFO: ("·", "dim"),
}


def _text(value: object, style: str = "") -> Text:
    """User data as inert text: never markup, control characters replaced."""
    return Text(printable(value), style=style)


def lead_renderable(lead: Lead, history: list[AuditEvent]) -> Text:
    """One Text for the whole panel: far cheaper to lay out than tables on every cursor move."""
    out = Text()

    def line(*parts: Text | str) -> None:
        for part in parts:
            out.append_text(part) if isinstance(part, Text) else out.append(part)
        out.append("\n")

    def field(label: str, value: Text) -> None:
        line(Text(f"{label:<13} ", style="dim"), value)

    line(Text(f"#{lead.id} ", style="dim"),
         _text(" ".join(p for p in (lead.salutation, lead.name) if p) or "(no name)", "bold"))
    line(_text(lead.job_title or "no job title"), Text(" at ", style="dim"),
         _text(lead.company or "no company", "bold"), Text(f"  {lead.country or '--'}", style="dim"))
    line()
    field("email", _text(lead.email or "-"))
    field("phone", _text(lead.phone or "-"))
    field("stage", Text(lead.stage.label))
    field("owner", _text(lead.owner or "unassigned pool"))
    field("score", Text(f"{lead.score}   recycled {lead.recycle_count}×"))
    line()
    line(Text("Qualification checklist", style="bold underline"))
    for item in checklist(lead):
        mark, style = VERDICT_MARKS[item.verdict]
        line(Text(mark + " ", style=style), Text(f"{item.question:<13}", style="dim"), _text(item.answer))
    if lead.notes:
        line()
        line(Text("Notes", style="bold underline"))
        line(_text(lead.notes))
    line()
    line(Text("History", style="bold underline"))
    if not history:
        line(Text("no decisions yet", style="dim italic"))
    for event in history:
        parts: list[Text | str] = [Text(f"{event.at.astimezone():%Y-%m-%d %H:%M} ", style="dim"),
                                   _text(event.actor, "bold"), f" {event.action}"]
        if event.from_stage and event.to_stage:
            parts.append(f" {event.from_stage.label} → {event.to_stage.label}")
        if event.reason:
            parts.append(f" ({event.reason.value}, {event.path.value if event.path else '-'})")
        if event.note:
            parts += [": ", _text(event.note, "italic")]
        line(*parts)
    out.rstrip()
    return out


class LeadDetail(VerticalScroll):
    """Shows one lead; the app loads it in a worker and calls `show`."""

    def compose(self):
        yield Static(Text("No lead selected.", style="dim italic"), id="lead-detail-body")

    def show(self, lead: Lead, history: list[AuditEvent]) -> None:
        self.border_title = Text(f"Lead #{lead.id}")
        self.query_one("#lead-detail-body", Static).update(lead_renderable(lead, history))

    def clear(self, message: str = "No lead selected.") -> None:
        self.border_title = "Lead"
        self.query_one("#lead-detail-body", Static).update(Text(message, style="dim italic"))
