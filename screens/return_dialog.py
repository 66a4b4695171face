"""The modal for returning a lead: reason, path, note. Escape cancels and changes nothing.

Compact enough for an 80x24 terminal: every field, its error and the buttons are on
screen at once. A digit picks a reason and a letter a path (shown beside each), each named in
the language in use (the codes, `not_ready` or `nurture`, are the CLI's and the exports'); a
dialog that cannot return the lead keeps every field as typed and says why beside the
field that is wrong.
"""

from __future__ import annotations

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from triage.domain.dates import parse_day
from triage.domain.models import RETURN_PATH_LABELS, RETURN_REASON_LABELS, ReturnDecision, ReturnPath, ReturnReason
from triage.domain.language import N_, _
from triage.domain.text import one_line

from .field_input import FieldInput
from .screen_commands import described, speak_bindings, spoken

#: The one key that picks each reason and each path, shown beside it.
REASON_KEYS = {reason: str(number) for number, reason in enumerate(ReturnReason, start=1)}
PATH_KEYS = {ReturnPath.NURTURE: "n", ReturnPath.DISQUALIFY: "d"}


#: The reasons and paths by their codes, which are their options' ids.
CHOICES: dict[str, ReturnReason | ReturnPath] = {choice.value: choice for choice in (*ReturnReason, *ReturnPath)}


def _label_of(code: str | None) -> str:
    """A reason's or a path's name in the language in use, from its option's id (its code)."""
    choice = CHOICES.get(code or "")
    return choice.label if choice is not None else ""


class ReturnDialog(ModalScreen[ReturnDecision | None]):
    """Dismisses with the decision, or with None when cancelled."""

    CSS_PATH = "return_dialog.tcss"
    AUTO_FOCUS = "#return-reason"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel")),
        Binding("ctrl+s", "submit", N_("Return lead")),
        Binding("f1", "app.help", N_("Help")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
        *(Binding(key, f"reason('{reason.value}')", RETURN_REASON_LABELS[reason], show=False)
          for reason, key in REASON_KEYS.items()),
        *(Binding(key, f"path('{path.value}')", RETURN_PATH_LABELS[path], show=False)
          for path, key in PATH_KEYS.items()),
    ]

    @classmethod
    def key_bindings_of(cls, app) -> list[tuple[str, str]]:
        """The dialog's keys, as (keys, description): for its own help and the queue's."""
        first, last = REASON_KEYS[ReturnReason.NOT_READY], REASON_KEYS[ReturnReason.OTHER]
        shown = [spoken(binding) for binding in Binding.make_bindings(cls.BINDINGS)
                 if binding.action in ("cancel", "submit")]
        return [
            (f"{first} … {last}", _("Choose the reason with the digit beside it")),
            (" / ".join(PATH_KEYS.values()), _("Choose the path: {nurture} or {disqualify}").format(
                nurture=ReturnPath.NURTURE.label, disqualify=ReturnPath.DISQUALIFY.label)),
            ("↑ / ↓", _("Choose a reason or a path")),
            ("enter", _("Next field; in the note or date: return the lead")),
            ("tab / ⇧tab", _("Next / previous field")),
            *((keys, description) for keys, description, _ in described(app, shown)),
        ]

    def key_bindings(self) -> list[tuple[str, str]]:
        return self.key_bindings_of(self.app)

    def __init__(self, lead_name: str, lead_id: int | None = None) -> None:
        super().__init__()
        speak_bindings(self)
        self.lead_name = lead_name
        self.lead_id = lead_id

    def compose(self) -> ComposeResult:
        number = Text(f" (#{self.lead_id})") if self.lead_id is not None else Text("")
        with VerticalScroll(id="return-box"):
            before, _name, after = _("Return {name} to marketing").partition("{name}")
            yield Label(Text(before) + Text(one_line(self.lead_name), style="bold") + number + Text(after),
                        id="return-title")
            yield Label(classes="field-label", id="return-reason-label")
            yield OptionList(
                *(Option(Text.assemble((f"{REASON_KEYS[reason]} ", "bold"), reason.label), id=reason.value)
                  for reason in ReturnReason),
                id="return-reason",
            )
            yield Label(classes="field-label", id="return-path-label")
            yield OptionList(
                *(Option(Text.assemble((f"{PATH_KEYS[path]} ", "bold"), (path.label, "bold"), f": {path.description}"),
                         id=path.value) for path in ReturnPath),
                id="return-path",
            )
            with Horizontal(classes="field-row", id="return-note-row"):
                yield Label(_("Note"), classes="field-name")
                yield FieldInput(placeholder=_("why (needed for reason {key}); Enter returns the lead").format(
                    key=REASON_KEYS[ReturnReason.OTHER]),
                            id="return-note")
            yield Static("", id="return-note-error", classes="field-error")
            # Always shown, so that Tab and the fields never move while a rep types.
            with Horizontal(classes="field-row", id="return-until-row"):
                yield Label(_("Until"), classes="field-name")
                yield FieldInput(placeholder=_("for reason {key}: contract end, e.g. 31.03.2027 (optional)").format(
                    key=REASON_KEYS[ReturnReason.CONTRACT]),
                                 id="return-until")
            yield Static("", id="return-until-error", classes="field-error")
            with Horizontal(id="return-buttons"):
                yield Button(_("Return lead"), variant="warning", id="return-submit", compact=True)
                yield Button(_("Cancel"), id="return-cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        # Keys typed right after `r` (a reason's digit, a path's letter) may be handled
        # before this runs: keep what they chose, and their focus.
        for selector in ("#return-reason", "#return-path"):
            options = self.query_one(selector, OptionList)
            if options.highlighted is None:
                options.highlighted = 0
        names = self.query(".field-name")  # as wide as the longest name, in any language (7 in English)
        width = max(7, *(len(_(name)) + 1 for name in (N_("Note"), N_("Until"))))
        for name in names:
            name.styles.width = width
        self._label("#return-reason-label", N_("Reason"), N_("press 1-8"), self._chosen_label("#return-reason"))
        self._label("#return-path-label", N_("Path"), N_("press n or d"), self._chosen_label("#return-path"))
        if self.focused is None:
            self.set_focus(self.query_one("#return-reason"))

    @on(OptionList.OptionHighlighted, "#return-reason")
    def _reason_changed(self, event: OptionList.OptionHighlighted) -> None:
        self._label("#return-reason-label", N_("Reason"), N_("press 1-8"), _label_of(event.option.id))

    @on(OptionList.OptionHighlighted, "#return-path")
    def _path_changed(self, event: OptionList.OptionHighlighted) -> None:
        self._label("#return-path-label", N_("Path"), N_("press n or d"), _label_of(event.option.id))

    def _label(self, selector: str, name: str, keys: str, chosen: str | None) -> None:
        """The field's label names the choice, which shows without colour too."""
        self.query_one(selector, Label).update(Text.assemble(f"{_(name)} ({_(keys)}): ", (chosen or "", "bold")))

    # Focus moves at once (set_focus), not on the next idle (focus()), so that keys typed
    # right after Enter land in the next field.
    @on(OptionList.OptionSelected, "#return-reason")
    def _reason_chosen(self) -> None:
        self.set_focus(self.query_one("#return-path"))

    @on(OptionList.OptionSelected, "#return-path")
    def _path_chosen(self) -> None:
        self.set_focus(self.query_one("#return-note"))

    def action_reason(self, value: str) -> None:
        """A reason's key: choose it and go on to the path."""
        reasons = self.query_one("#return-reason", OptionList)
        reasons.highlighted = reasons.get_option_index(value)
        self.set_focus(self.query_one("#return-path"))

    def action_path(self, value: str) -> None:
        """A path's key: choose it and go on to the note."""
        paths = self.query_one("#return-path", OptionList)
        paths.highlighted = paths.get_option_index(value)
        self.set_focus(self.query_one("#return-note"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#return-submit")
    def action_submit(self) -> None:
        decision = self._decision()
        if decision is not None:
            self.dismiss(decision)

    @on(Button.Pressed, "#return-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _chosen(self, selector: str) -> str:
        options = self.query_one(selector, OptionList)
        return options.get_option_at_index(options.highlighted or 0).id or ""

    def _chosen_label(self, selector: str) -> str:
        return _label_of(self._chosen(selector))

    def _error(self, selector: str, message: str) -> None:
        """Show `message` under its field (or hide the line when it is empty)."""
        error = self.query_one(selector, Static)
        error.update(Text(message))
        error.display = bool(message)

    def _decision(self) -> ReturnDecision | None:
        self._error("#return-note-error", "")
        self._error("#return-until-error", "")
        reason = self._chosen("#return-reason")
        until_input = self.query_one("#return-until", Input)
        until = None
        if until_input.value.strip():
            try:
                until = parse_day(until_input.value)
            except ValueError as exc:
                self._error("#return-until-error", one_line(exc))
                self.set_focus(until_input)
                return None
            if reason != ReturnReason.CONTRACT.value:
                self._error("#return-until-error", _("a date only goes with reason {key}, {reason}").format(
                    key=REASON_KEYS[ReturnReason.CONTRACT], reason=ReturnReason.CONTRACT.label))
                self.set_focus(until_input)
                return None
        try:
            return ReturnDecision.model_validate({
                "reason": reason, "path": self._chosen("#return-path"),
                "note": self.query_one("#return-note", Input).value, "contract_until": until,
            })
        except ValidationError as exc:
            self._error("#return-note-error", one_line(exc.errors()[0]["msg"].removeprefix("Value error, ")))
            self.set_focus(self.query_one("#return-note"))
            return None
