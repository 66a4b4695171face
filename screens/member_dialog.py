"""The modal where a team lead adds a team member or changes one.

Ctrl+S (or Enter in a field) saves through the service, in a worker. When the service
refuses, the dialog stays open with every field as typed and the reason under the field it
concerns; it closes with the saved member, or None when cancelled.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Select, Static

from triage.domain.dates import DAY_FORMATS
from triage.domain.errors import TriageError
from triage.domain.models import Role, TeamMember
from triage.services import Services
from triage.services.team import MemberInvalid
from triage.domain.language import N_, _
from triage.domain.text import one_line

from .screen_commands import show_keys, speak_bindings

#: (form field, label, placeholder) of each line of the form.
FIELDS = (
    ("login", N_("Login"), N_("e.g. kberg")),
    ("name", N_("Name"), N_("e.g. Kim Berg")),
    ("role", N_("Role"), ""),
    ("capacity", N_("Capacity"), N_("1 full time, 0,5 half")),
    ("cap", N_("Cap on open leads"), N_("empty: no cap")),
    ("countries", N_("Countries covered"), N_("e.g. DE,AT (empty: all)")),
    ("languages", N_("Languages covered"), N_("e.g. de,nl (empty: all)")),
    ("away-from", N_("Away from"), N_("e.g. 24.12.2026")),
    ("away-until", N_("Away until (incl.)"), N_("e.g. 2.1.27")),
)


class MemberDialog(ModalScreen[TeamMember | None]):
    CSS_PATH = "member_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("ctrl+s", "save", N_("Save")),
                Binding("f1", "help", N_("Help"), tooltip=N_("The keys of this dialog")),
                Binding("ctrl+q", "app.quit", N_("Quit"))]

    def __init__(self, service: Services, member: TeamMember | None = None) -> None:
        super().__init__()
        speak_bindings(self)
        self.service = service
        self.member = member

    def _value(self, name: str) -> str:
        member = self.member
        if member is None:
            return {"capacity": "1"}.get(name, "")
        return {
            "login": member.login, "name": member.name, "capacity": f"{member.capacity:g}",
            "cap": "" if member.cap is None else str(member.cap), "countries": ",".join(member.countries),
            "languages": ",".join(member.languages),
        }.get(name, "")

    def compose(self) -> ComposeResult:
        member = self.member
        with VerticalScroll(id="member-box"):
            yield Label(Text(_("Change {login}").format(login=one_line(member.login)) if member else _("Add a team member"),
                             style="bold"),
                        id="member-title")
            for name, label, placeholder in FIELDS:
                with Horizontal(classes="member-line"):
                    yield Label(_(label), classes="field-label")
                    if name == "role":
                        yield Select([(role.label, role.value) for role in Role], allow_blank=False,
                                     value=(member.role if member else Role.REP).value, id="member-role",
                                     compact=True)
                    else:
                        yield Input(self._value(name), placeholder=_(placeholder), id=f"member-{name}", compact=True,
                                    disabled=name == "login" and member is not None)
                yield Static("", id=f"member-{name}-error", classes="field-error", markup=False)
            if member and member.away:
                yield Label(Text(_("Away already: {periods}").format(periods=", ".join(
                    f"{p.since:%d.%m.%Y}–{p.until:%d.%m.%Y}" for p in member.away)), style="italic"))
            yield Label(Text(_("Days as {formats}.").format(formats=_(DAY_FORMATS)), style="dim"))
            yield Static("", id="member-error", classes="field-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        for error in self.query(".field-error"):
            error.display = False
        self.set_focus(self.query_one("#member-name" if self.member else "#member-login", Input))

    def fields(self) -> dict[str, str]:
        """The form as typed."""
        value = {name: self.query_one(f"#member-{name}", Input).value for name, *_rest in FIELDS if name != "role"}
        value["role"] = str(self.query_one("#member-role", Select).value)
        return value

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        self.save(self.fields())

    @work(thread=True, exclusive=True, group="member-save")
    def save(self, fields: dict[str, str]) -> None:
        try:
            member = self.service.team.save_member(fields, new=self.member is None)
        except MemberInvalid as exc:
            self.app.call_from_thread(self._show_errors, exc.errors, "")
            return
        except TriageError as exc:
            self.app.call_from_thread(self._show_errors, {}, one_line(exc))
            return
        self.app.call_from_thread(self.dismiss, member)

    def _show_errors(self, errors: dict[str, str], general: str) -> None:
        """Each reason under its field; the first such field gets the focus."""
        first: Widget | None = None
        for name, *_rest in FIELDS:
            error = self.query_one(f"#member-{name}-error", Static)
            why = errors.get(name, "")
            error.update(Text("↑ " + one_line(why)) if why else "")
            error.display = bool(why)
            if why and first is None:
                first = self.query_one(f"#member-{name}")
        box = self.query_one("#member-error", Static)
        named = {name for name, *_rest in FIELDS}
        leftover = [f"{name}: {why}" for name, why in errors.items() if name not in named]
        text = "; ".join(filter(None, [general, *leftover]))
        box.update(Text(one_line(text)))
        box.display = bool(text)
        if first is not None and not first.disabled:
            first.focus()
            first.scroll_visible()
        elif text:
            box.scroll_visible()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        show_keys(self)
