"""The modal where a rep confirms or overrides a checklist answer, or grades the lead.

First the question, then the answer: Enter on a question lists its answers, Enter on an
answer stores it. The first answer offered is the data's own ("derived"), which takes an
override back.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from triage.domain.checklist import CHOICES, GRADES, ChecklistItem, Question, choices
from triage.domain.language import N_, _
from triage.domain.text import one_line

from .screen_commands import speak_bindings

GRADE = "grade"
DERIVED = "derived"

#: What the dialog returns: (question, answer code or None to go back to the data), or
#: ("grade", grade or None to clear it).
Choice = tuple[str, str | None]


class ChecklistDialog(ModalScreen[Choice | None]):
    CSS_PATH = "checklist_dialog.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back / cancel")),
        Binding("f1", "app.help", N_("Help")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]

    def __init__(self, lead_name: str, lead_id: int, items: list[ChecklistItem], grade: str) -> None:
        super().__init__()
        speak_bindings(self)
        self.lead_name = lead_name
        self.lead_id = lead_id
        self.items = {item.question: item for item in items}
        self.grade = grade
        self.question: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="checklist-box"):
            before, _name, after = _("Checklist of {name}").partition("{name}")
            yield Label(Text(before) + Text(one_line(self.lead_name), style="bold") + Text(after)
                        + Text(f" (#{self.lead_id})"))
            yield Label(_("Question"), classes="field-label")
            yield OptionList(*self._question_options(), id="checklist-questions")
            yield Label(_("Answer"), classes="field-label", id="checklist-answer-label")
            yield OptionList(id="checklist-answers")
        yield Footer()

    def _question_options(self) -> list[Option]:
        options = []
        for question in CHOICES:
            item = self.items.get(question)
            answer = Text(f"{Question(question).label:<13} ") + Text(one_line(item.answer if item else ""), style="bold")
            if item is not None and item.source != "derived":
                answer += Text(f"  ({item.source_label})", style="italic")
            options.append(Option(answer, id=question))
        options.append(Option(Text(_("grade").ljust(13) + " ") + Text(self.grade or _("none"), style="bold"), id=GRADE))
        return options

    def on_mount(self) -> None:
        questions = self.query_one("#checklist-questions", OptionList)
        questions.highlighted = 0
        self.query_one("#checklist-answers").display = False
        self.query_one("#checklist-answer-label").display = False
        self.set_focus(questions)

    @on(OptionList.OptionSelected, "#checklist-questions")
    def _question_chosen(self, event: OptionList.OptionSelected) -> None:
        self.question = event.option.id
        answers = self.query_one("#checklist-answers", OptionList)
        answers.clear_options()
        if self.question == GRADE:
            answers.add_options([Option(_("none: no grade"), id=DERIVED), *(Option(grade, id=grade) for grade in GRADES)])
        else:
            item = self.items.get(self.question or "")
            data_said = item.derived or item.answer if item else ""
            answers.add_options([
                Option(Text(_("as the data says: ")) + Text(one_line(data_said), style="italic"), id=DERIVED),
                *(Option(label, id=code) for code, label in choices(self.question or "")),
            ])
        answers.highlighted = 0
        answers.display = True
        self.query_one("#checklist-answer-label").display = True
        self.set_focus(answers)

    @on(OptionList.OptionSelected, "#checklist-answers")
    def _answer_chosen(self, event: OptionList.OptionSelected) -> None:
        code = event.option.id
        self.dismiss((self.question or "", None if code == DERIVED else code))

    def action_back(self) -> None:
        answers = self.query_one("#checklist-answers", OptionList)
        if answers.display:
            answers.display = False
            self.query_one("#checklist-answer-label").display = False
            self.set_focus(self.query_one("#checklist-questions"))
        else:
            self.dismiss(None)
