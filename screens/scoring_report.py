"""The scoring report: what sales' decisions say about each answer, the points in force
beside the points fitted to those decisions, and how well each ranks held-back leads.

A team lead adopts the proposal with a key and a confirmation that shows the ranking
quality (AUC) of the rules in force beside the proposal's, with a warning when the proposal
ranks worse; the screen then closes with True and the app scores the stored leads again.
Nothing changes without those two keys.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from triage.domain.calibration import CalibrationReport
from triage.domain.errors import TriageError
from triage.services import Services
from triage.domain import language
from triage.domain.language import N_, _
from triage.domain.text import one_line

from .confirm_dialog import ConfirmDialog, when_confirmed
from .measured_table import MeasuredTable
from .screen_commands import speak_bindings

BAR_WIDTH = 12


def rate_bar(rate: float) -> Text:
    filled = round(rate * BAR_WIDTH)
    return Text("█" * filled, style="green") + Text("░" * (BAR_WIDTH - filled), style="dim")


def points_text(value: float | None) -> Text:
    if value is None:
        return Text("-", style="dim")
    return Text(f"{value:+g}" if value else "0", style="green" if value > 0 else "red" if value < 0 else "")


class ScoringReport(Screen[bool]):
    CSS_PATH = "scoring_report.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Back"), id="scoring.close"),
        Binding("A", "adopt", N_("Adopt proposal"), tooltip=N_("Make the proposed points the rules in force (team lead)"),
                id="scoring.adopt"),
        Binding("l", "reload_rules", N_("Reload rules"), tooltip=N_("Read the team's rules in force again"),
                id="scoring.reload_rules"),
    ]

    def __init__(self, service: Services) -> None:
        super().__init__()
        speak_bindings(self)
        self.service = service
        self.report: CalibrationReport | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="scoring-box"):
            yield Static(_("Reading the decisions…"), id="scoring-summary", markup=False)
            yield MeasuredTable(id="scoring-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Scoring report")
        table = self.query_one(DataTable)
        table.add_columns(_("answer"), _("decided"), _("accepted"), "", _("current"), _("proposed"))
        table.focus()
        self.load_report()

    @work(thread=True, exclusive=True, group="scoring-report")
    def load_report(self) -> None:
        try:
            report = self.service.scoring.report()
        except TriageError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.show_report, report)

    def _failed(self, exc: TriageError) -> None:
        self.query_one("#scoring-summary", Static).update(Text(one_line(exc), style="red"))

    def show_report(self, report: CalibrationReport) -> None:
        self.report = report
        lines = [one_line(line) for line in report.summary()]
        if report.proposal is not None:
            lines.append(_("Press A to adopt the proposal as version {version}.").format(version=report.proposal.version))
        self.query_one("#scoring-summary", Static).update("\n".join(lines))
        table = self.query_one(DataTable)
        table.clear()
        table.add_row(Text(_("base")), "", "", "", points_text(report.base_current), points_text(report.base_proposed))
        for figures in report.features:
            table.add_row(
                Text(figures.label), Text(str(figures.decided), justify="right"),
                Text(language.percent(figures.acceptance_rate), justify="right"), rate_bar(figures.acceptance_rate),
                points_text(figures.current_points), points_text(figures.proposed_points),
                key=figures.feature,
            )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "adopt":
            return self.report is not None and self.report.proposal is not None
        return True

    def action_adopt(self) -> None:
        if self.report is not None and self.report.proposal is not None:
            self._may_adopt(self.report)

    @work(thread=True, exclusive=True, group="scoring-report")
    def _may_adopt(self, report: CalibrationReport) -> None:
        """Refused before the question for anyone but a team lead."""
        try:
            self.service.context.require_team_lead(N_("adopt new scoring rules"))
        except TriageError as exc:
            self.app.call_from_thread(
                self.notify, one_line(exc), title=_("Not adopted"), severity="error", markup=False, timeout=8)
            return
        self.app.call_from_thread(self._ask_adopt, report)

    def _ask_adopt(self, report: CalibrationReport) -> None:
        proposal = report.proposal
        if proposal is None:
            return

        def auc(value: float | None) -> str:
            return "-" if value is None else language.decimal(value, 3)

        details = (
            _("Ranking quality (AUC) on the {count} held-back decisions, {chance} is chance:").format(
                count=language.number(report.held_back), chance=language.decimal(0.5, 1)) + "\n" +
            _("  in force (version {version}):  {auc}").format(
                version=one_line(report.rules.version), auc=auc(report.auc_current)) + "\n" +
            _("  proposed (version {version}):  {auc}").format(
                version=one_line(proposal.version), auc=auc(report.auc_proposed)) + "\n" +
            _("They become the team's next rules version (the one in force stays in the history, "
              "for a revert); every lead is scored again.")
        )
        warning = (_("The proposal ranks the held-back decisions worse than the rules in force.")
                   if report.ranks_worse else "")
        self.app.push_screen(
            ConfirmDialog(_("Adopt the proposed points as rules version {version}?").format(
                              version=one_line(proposal.version)),
                          details, yes=_("Adopt"), warning=warning),
            when_confirmed(self.adopt, report))

    @work(thread=True, exclusive=True, group="scoring-report")
    def adopt(self, report: CalibrationReport) -> None:
        assert report.proposal is not None, "only a report with a proposal offers to adopt it"
        try:
            path = self.service.scoring.adopt_rules(report.proposal)
        except TriageError as exc:
            self.app.call_from_thread(
                self.notify, one_line(exc), title=_("Not adopted"), severity="error", markup=False, timeout=8
            )
            return
        self.app.call_from_thread(self._adopted, report, str(path))

    def _adopted(self, report: CalibrationReport, path: str) -> None:
        self.notify(_("Adopted rules version {version} as {path}").format(
            version=report.proposal.version if report.proposal else "", path=one_line(path)), markup=False)
        self.dismiss(True)

    def action_reload_rules(self) -> None:
        try:
            rules = self.service.scoring.reload_rules()
        except TriageError as exc:
            self.notify(one_line(exc), title=_("Rules not reloaded"), severity="error", markup=False, timeout=10)
            return
        self.notify(_("Rules version {version} in force").format(version=rules.version), markup=False)
        self.load_report()

    def action_close(self) -> None:
        self.dismiss(False)
