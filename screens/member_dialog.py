"""The modal where a team lead adds a team member or changes one.

Dismisses with the fields as typed (the service validates them and says what is wrong),
or None when cancelled. Nothing is stored here.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Select

from triage.models import ROLE_LABELS, Role, TeamMember


class MemberDialog(ModalScreen[dict | None]):
    CSS_PATH = "member_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, member: TeamMember | None = None) -> None:
        super().__init__()
        self.member = member

    def compose(self) -> ComposeResult:
        member = self.member
        with Vertical(id="member-box"):
            yield Label(Text("Change " + member.login if member else "Add a team member", style="bold"))
            yield Label("Login", classes="field-label")
            yield Input(member.login if member else "", id="member-login", disabled=member is not None)
            yield Label("Name", classes="field-label")
            yield Input(member.name if member else "", id="member-name")
            yield Label("Role", classes="field-label")
            yield Select([(ROLE_LABELS[role], role.value) for role in Role], allow_blank=False,
                         value=(member.role if member else Role.REP).value, id="member-role")
            yield Label("Capacity (1 full time, 0.5 half) and cap on open leads (empty: none)", classes="field-label")
            yield Input(f"{member.capacity:g}" if member else "1", id="member-capacity")
            yield Input("" if member is None or member.cap is None else str(member.cap), id="member-cap",
                        placeholder="no cap")
            yield Label("Countries and languages covered, comma-separated (empty: all)", classes="field-label")
            yield Input(",".join(member.countries) if member else "", id="member-countries", placeholder="DE,AT")
            yield Input(",".join(member.languages) if member else "", id="member-languages", placeholder="de,nl")
            yield Label("Away: from and until (both days included), to add an away period", classes="field-label")
            yield Input("", id="member-away-from", placeholder="YYYY-MM-DD")
            yield Input("", id="member-away-until", placeholder="YYYY-MM-DD")
            if member and member.away:
                yield Label(Text("Away already: " + ", ".join(f"{p.since}..{p.until}" for p in member.away),
                                 style="italic"))
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#member-name" if self.member else "#member-login", Input))

    @on(Input.Submitted)
    def action_save(self) -> None:
        value = {name: self.query_one(f"#member-{name}", Input).value.strip()
                 for name in ("login", "name", "capacity", "cap", "countries", "languages", "away-from", "away-until")}
        value["role"] = self.query_one("#member-role", Select).value
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
