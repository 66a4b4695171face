"""The highlighted lead: contact, qualification checklist and history, all as plain text."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
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


def lead_renderable(lead: Lead, history: list[AuditEvent]) -> Group:
    title = Text()
    title.append(f"#{lead.id} ", style="dim")
    title.append_text(_text(" ".join(p for p in (lead.salutation, lead.name) if p) or "(no name)", "bold"))
    role = Text()
    role.append_text(_text(lead.job_title or "no job title"))
    role.append(" at ", style="dim")
    role.append_text(_text(lead.company or "no company", "bold"))
    role.append(f"  {lead.country or '--'}", style="dim")

    contact = Table.grid(padding=(0, 1))
    contact.add_column(style="dim", no_wrap=True)
    contact.add_column()
    contact.add_row("email", _text(lead.email or "-"))
    contact.add_row("phone", _text(lead.phone or "-"))
    contact.add_row("stage", Text(f"{lead.stage.label}   owner ") + _text(lead.owner or "pool")
                    + Text(f"   score {lead.score}   recycled {lead.recycle_count}×"))

    items = Table.grid(padding=(0, 1))
    items.add_column(no_wrap=True)
    items.add_column(style="dim", no_wrap=True)
    items.add_column()
    for item in checklist(lead):
        mark, style = VERDICT_MARKS[item.verdict]
        items.add_row(Text(mark, style=style), item.question, _text(item.answer))

    parts: list = [title, role, Text(), contact, Text(), Text("Qualification checklist", style="bold underline"), items]
    if lead.notes:
        parts += [Text(), Text("Notes", style="bold underline"), _text(lead.notes)]
    parts += [Text(), Text("History", style="bold underline")]
    if not history:
        parts.append(Text("no decisions yet", style="dim italic"))
    for event in history:
        line = Text(f"{event.at.astimezone():%Y-%m-%d %H:%M} ", style="dim")
        line.append_text(_text(event.actor, "bold"))
        line.append(f" {event.action}")
        if event.from_stage and event.to_stage:
            line.append(f" {event.from_stage.label} → {event.to_stage.label}")
        if event.reason:
            line.append(f" ({event.reason.value}, {event.path.value if event.path else '-'})")
        if event.note:
            line.append(": ")
            line.append_text(_text(event.note, "italic"))
        parts.append(line)
    return Group(*parts)


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
