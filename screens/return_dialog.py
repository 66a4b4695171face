"""The modal for returning a lead: reason, path, note. Escape cancels and changes nothing."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from triage.models import ReturnDecision, ReturnPath, ReturnReason
from triage.text import one_line

PATH_LABELS = {
    ReturnPath.NURTURE: "nurture: back to marketing, may come back as MQL",
    ReturnPath.DISQUALIFY: "disqualify: will never be a customer",
}


class ReturnDialog(ModalScreen[ReturnDecision | None]):
    """Dismisses with the decision, or with None when cancelled."""

    CSS_PATH = "return_dialog.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Return lead"),
    ]

    def __init__(self, lead_name: str, lead_id: int | None = None) -> None:
        super().__init__()
        self.lead_name = lead_name
        self.lead_id = lead_id

    def compose(self) -> ComposeResult:
        number = Text(f" (#{self.lead_id})") if self.lead_id is not None else Text("")
        with VerticalScroll(id="return-box"):
            yield Label(Text("Return ") + Text(one_line(self.lead_name), style="bold") + number + Text(" to marketing"))
            yield Label("Reason", classes="field-label")
            yield OptionList(
                *(Option(f"{reason.value:<13} {reason.label}", id=reason.value) for reason in ReturnReason),
                id="return-reason",
            )
            yield Label("Path", classes="field-label")
            yield OptionList(
                *(Option(label, id=path.value) for path, label in PATH_LABELS.items()), id="return-path"
            )
            yield Label("Note (required for reason other)", classes="field-label")
            yield Input(placeholder="why; Enter returns the lead", id="return-note")
            yield Input(placeholder="contract until YYYY-MM-DD (reason contract, optional)", id="return-until")
            yield Static("", id="return-error")
            with Horizontal(id="return-buttons"):
                yield Button("Return lead", variant="warning", id="return-submit")
                yield Button("Cancel", id="return-cancel")
        yield Footer()

    def on_mount(self) -> None:
        for selector in ("#return-reason", "#return-path"):
            self.query_one(selector, OptionList).highlighted = 0
        self.query_one("#return-until", Input).display = False
        self.query_one("#return-reason").focus()

    @on(OptionList.OptionHighlighted, "#return-reason")
    def _reason_changed(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one("#return-until", Input).display = event.option.id == ReturnReason.CONTRACT.value

    # Focus moves at once (set_focus), not on the next idle (focus()), so that keys typed
    # right after Enter land in the next field.
    @on(OptionList.OptionSelected, "#return-reason")
    def _reason_chosen(self) -> None:
        self.set_focus(self.query_one("#return-path"))

    @on(OptionList.OptionSelected, "#return-path")
    def _path_chosen(self) -> None:
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

    def _decision(self) -> ReturnDecision | None:
        error = self.query_one("#return-error", Static)
        reason = self._chosen("#return-reason")
        until_text = self.query_one("#return-until", Input).value.strip()
        until = None
        if until_text and reason == ReturnReason.CONTRACT.value:
            try:
                until = date.fromisoformat(until_text)
            except ValueError:
                error.update(Text(f"{one_line(until_text)!r} is not a date (YYYY-MM-DD)"))
                return None
        try:
            return ReturnDecision(
                reason=reason, path=self._chosen("#return-path"),
                note=self.query_one("#return-note", Input).value, contract_until=until,
            )
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            error.update(Text(message))
            self.set_focus(self.query_one("#return-note"))
            return None
