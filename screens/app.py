"""The rep's triage app: the queue, the highlighted lead, and the decisions."""

from __future__ import annotations

from functools import partial
from threading import Event, Lock, Thread

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, ProgressBar
from textual.worker import get_current_worker

from triage.domain.errors import StaleLead, TriageError
from triage.domain.models import QueueRow, ReturnDecision, ReturnReason, utcnow
from triage.services import Services
from triage.domain.queue import QueueView
from triage.domain.text import counted, one_line

from .checklist_dialog import GRADE, ChecklistDialog, Choice
from .commands import TriageCommands
from .filter_input import FilterInput
from .help_screen import HelpScreen
from .lead_detail import LeadDetail
from .lead_queue import LeadQueue
from .return_dialog import PATH_KEYS, REASON_KEYS, ReturnDialog

VIEW_TITLES = {QueueView.MINE: "My MQLs", QueueView.POOL: "Unassigned pool"}
FILTER_DELAY = 0.15
#: The detail panel follows the cursor once it rests this long, not on every row it passes.
DETAIL_DELAY = 0.12
#: How often the app looks for leads other reps changed (in a worker: one cheap query).
POLL_SECONDS = 5.0
#: How often the app looks for leads handed over to its rep (one cheap query).
HANDOVER_SECONDS = 1.0


class TriageApp(App[None]):
    """Work the queue: accept a lead (SAL) or return it to marketing (SRL)."""

    TITLE = "triage"
    CSS_PATH = ["app.tcss", "lead_queue.tcss", "lead_detail.tcss"]
    COMMANDS = App.COMMANDS | {TriageCommands}
    #: The Footer shows what a rep uses most, and always help and quit (it must fit 80
    #: columns); every other key is listed by `?` and offered by the command palette.
    BINDINGS = [
        Binding("a", "accept", "Accept", tooltip="Accept the lead: it becomes a SAL"),
        Binding("r", "return_lead", "Return", tooltip="Return the lead to marketing with a reason"),
        Binding("u", "undo", "Undo", tooltip="Undo your last accept or return, while nobody changed the lead since"),
        Binding("slash", "filter", "Filter", tooltip="Filter the queue by name, company or email"),
        Binding("m", "toggle_view", "Mine/pool", tooltip="Switch between your MQLs and the unassigned pool"),
        Binding("t", "take", "Take next", show=False,
                tooltip="Take the next lead from the unassigned pool as your own"),
        Binding("c", "checklist", "Checklist", show=False,
                tooltip="Confirm or override a checklist answer, or grade the lead"),
        Binding("b", "balance", "Balance", show=False, tooltip="The team's queues, SLA and fairness (team lead)"),
        Binding("i", "import_file", "Import", show=False, tooltip="Import leads from a CSV, JSON or XLSX file"),
        Binding("v", "review_board", "Review", show=False, tooltip="The review board's returns of a period"),
        Binding("s", "scoring", "Scoring", show=False, tooltip="What the decisions say about the scoring rules"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, tooltip="Read the queue again"),
        Binding("f5", "refresh", "Refresh", show=False, tooltip="Read the queue again"),
        Binding("question_mark", "help", "Help", tooltip="List every key"),
        Binding("f1", "help", "Help", show=False, tooltip="List every key (also while typing)"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False),
    ]

    def __init__(self, service: LeadService, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds
        self.service = service
        self.view = QueueView.MINE
        self.filter_text = ""
        self._filter_timer = None
        self._had_lead = False
        self._detail_timer = None
        self._deciding: set[int] = set()
        #: The (view, filter) whose count the border shows: Home and End need no recount.
        self._counted: tuple[QueueView, str] | None = None
        self.sub_title = f"signed in as {one_line(service.actor)}"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="queue-pane"):
                yield FilterInput(placeholder="/ filter by name, company or email (Esc clears)", id="filter")
                yield LeadQueue(id="queue")
            yield LeadDetail(id="detail")
        yield ProgressBar(id="rescore-progress", show_eta=False)
        yield Footer()

    @property
    def queue(self) -> LeadQueue:
        return self.query_one(LeadQueue)

    @property
    def detail(self) -> LeadDetail:
        return self.query_one(LeadDetail)

    def on_mount(self) -> None:
        self.queue.clock = self.service.team.sla_clock()
        self.queue.focus()
        self.query_one("#rescore-progress").display = False
        self.choose_first_view()
        self.rescore_leads()
        self._marker: tuple[int, int] | None = None
        self.set_interval(self.poll_seconds, self.look_for_changes)
        self._handed_up_to: int | None = None
        self._handover_lock = Lock()
        self.listen_for_handovers()

    async def _on_key(self, event: events.Key) -> None:
        """A printable key that reaches the app while a text field has focus was typed
        before focus got there (Textual routes a key to the widget focused when it
        arrived: "/" and "jansen" at once, or "r", "8", "n" and the note): it belongs in
        that field, never to a single-letter key such as `a`."""
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event.character:
            event.prevent_default()  # Textual's own handler (the bindings) is skipped
            focused.insert_text_at_cursor(event.character)

    # --- other reps' changes -------------------------------------------------------

    @work(thread=True, exclusive=True, group="poll")
    def look_for_changes(self) -> None:
        """Read the queue again when anyone (another rep, an import) changed leads."""
        try:
            marker = self.service.decisions.change_marker()
        except TriageError:
            return  # the next decision or refresh reports it; polling stays quiet
        self.call_from_thread(self._changes_seen, marker)

    def listen_for_handovers(self) -> None:
        """Sales told at once: a lead handed over to this rep, or to the pool, is named in a
        notification within a second or two, and the queue puts it in its place. On
        PostgreSQL the database tells the app (LISTEN/NOTIFY) on a thread of its own (not a
        worker: it runs as long as the app, and waiting for the workers must not wait for
        it), with a look every 5 s as the fallback when listening fails; on SQLite a look
        every second at the newest audit event (one cheap query). Each look reads only the
        events since the last."""
        self._listening = Event()
        Thread(target=self._listen, name="triage-handovers", daemon=True).start()

    def on_unmount(self) -> None:
        self._listening.set()

    def _listen(self) -> None:
        try:
            listener = self.service.decisions.handover_listener()
        except TriageError:
            listener = None
            every = self.poll_seconds
        else:
            every = HANDOVER_SECONDS if listener is None else self.poll_seconds
        self._look_for_handovers()  # where the audit trail stands: the queue shows what came before
        self._from_listener(self.set_interval, every, self.look_for_handovers)
        if listener is None:
            return
        with listener:
            while not self._listening.is_set():
                try:
                    if listener.wait(0.5):
                        self._look_for_handovers()
                except TriageError:
                    return  # the connection is lost: the looks every 5 s go on

    @work(thread=True, exclusive=True, group="handovers")
    def look_for_handovers(self) -> None:
        self._look_for_handovers()

    def _look_for_handovers(self) -> None:
        """In a worker: the hand-overs since the last look, told on the app's thread."""
        with self._handover_lock:
            try:
                top, lines = self.service.decisions.handovers_since(self._handed_up_to)
            except TriageError:
                return
            first_look, self._handed_up_to = self._handed_up_to is None, top
        if lines and not first_look:
            self._from_listener(self._handovers_seen, lines)

    def _from_listener(self, callback, *args) -> None:
        """`callback` on the app's thread, unless the app is closing (then nothing)."""
        if self._listening.is_set():
            return
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:  # the app closed meanwhile
            pass

    def _handovers_seen(self, lines: list[str]) -> None:
        for line in lines[:5]:
            self.notify(one_line(line), title="Handed over to sales", markup=False, timeout=8)
        if len(lines) > 5:
            self.notify(f"and {len(lines) - 5} more", title="Handed over to sales", markup=False, timeout=8)
        if not self._deciding:
            self.show_view(self.view, keep_position=True)

    def _changes_seen(self, marker: tuple[int, int]) -> None:
        if self._marker is not None and marker != self._marker and not self._deciding:
            self.show_view(self.view, keep_position=True)
        self._marker = marker

    # --- scoring ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="rescore")
    def rescore_leads(self) -> None:
        """Score again, in batches, the leads other rules scored; reps keep working."""
        try:
            if not self.service.scoring.count_to_rescore():
                return
            self.call_from_thread(self._rescore_started)
            self.service.scoring.rescore(progress=lambda done, total: self.call_from_thread(self._rescore_progress, done, total))
        except TriageError as exc:
            self.call_from_thread(self.notify, one_line(exc), title="Not scored", severity="error", markup=False)
        else:
            self.call_from_thread(self._rescored)
        finally:
            self.call_from_thread(self._rescore_hidden)

    def _rescore_started(self) -> None:
        self.query_one("#rescore-progress").display = True

    def _rescore_progress(self, done: int, total: int) -> None:
        self.query_one("#rescore-progress", ProgressBar).update(total=total, progress=done)

    def _rescored(self) -> None:
        self.notify(f"Scored the leads with rules version {self.service.rules.version}", markup=False, timeout=3)
        self.show_view(self.view, keep_position=True)

    def _rescore_hidden(self) -> None:
        self.query_one("#rescore-progress").display = False

    def _open_over_queue(self, screen) -> None:
        """Show `screen`; when it closes, the queue is read again (leads may have moved)."""
        self.push_screen(screen, lambda _: self.show_view(self.view, keep_position=True))

    def action_balance(self) -> None:
        from .balance import BalanceScreen  # imported when first opened: a faster start

        self._open_over_queue(BalanceScreen(self.service))

    @work(thread=True, exclusive=True, group="import")
    def action_import_file(self) -> None:
        """The path, then a preview of what the import will make of the file; then import.
        Whoever may not import is told so before typing a path."""
        try:
            self.service.transfer.check_may_import()
        except TriageError as exc:
            self.call_from_thread(self.notify, one_line(exc), title="Not imported", severity="error",
                                  markup=False, timeout=10)
            return
        self.call_from_thread(self._open_import_dialog)

    def _open_import_dialog(self) -> None:
        from .import_dialog import ImportDialog, ImportRequest

        def chosen(request: ImportRequest | None) -> None:
            if request is not None:
                self.import_file(str(request.path), request.mapping)

        self.push_screen(ImportDialog(self.service.rules), chosen)

    @work(thread=True, exclusive=True, group="rescore")
    def import_file(self, path: str, mapping: dict[str, str] | None = None) -> None:
        """The same import as `triage import`, with the mapping the preview showed and the
        progress bar of the main screen."""
        from pathlib import Path

        from triage.domain.text import counted

        self.call_from_thread(self._rescore_started)
        try:
            summary = self.service.transfer.import_file(
                Path(path).expanduser(), mapping=mapping or None,
                progress=lambda share: self.call_from_thread(self._rescore_progress, round(share * 1000), 1000),
            )
            assigned = self.service.team.assign_imported(summary) if summary.imported else 0
        except TriageError as exc:
            self.call_from_thread(self.notify, one_line(exc), title="Not imported", severity="error",
                                  markup=False, timeout=10)
            return
        finally:
            self.call_from_thread(self._rescore_hidden)
        message = summary.line() + (f"; {counted(assigned, 'lead')} assigned to the reps" if assigned else "")
        if summary.unknown_columns:
            message += f". Not mapped, kept with each lead: {', '.join(summary.unknown_columns)}"
        if summary.unknown_channels:
            message += f". Channels triage does not know (kept): {', '.join(summary.unknown_channels)}"
        if summary.rejects_path:
            message += f". Rejected rows with the reason: {summary.rejects_path}"
        self.call_from_thread(self.notify, one_line(message), title="Import", markup=False,
                              severity="warning" if summary.rejected else "information", timeout=10)
        self.call_from_thread(self.show_view, self.view, keep_position=True)

    def action_review_board(self) -> None:
        from .review_board import ReviewBoard

        self._open_over_queue(ReviewBoard(self.service))

    def action_scoring(self) -> None:
        def closed(adopted: bool | None) -> None:
            if adopted:
                self.rescore_leads()

        from .scoring_report import ScoringReport

        self.push_screen(ScoringReport(self.service), closed)

    @work(thread=True, exclusive=True, group="take")
    def action_take(self) -> None:
        try:
            lead = self.service.decisions.take()
        except TriageError as exc:
            self.call_from_thread(self._refused, exc, False)
            return
        self.call_from_thread(self._taken, lead)

    def _taken(self, lead) -> None:
        if lead is None:
            self.notify("The unassigned pool is empty: nothing to take", markup=False, timeout=4)
            return
        self.notify(f"Took {one_line(lead.name) or 'a lead'} (#{lead.id}) from the pool", markup=False, timeout=3)
        self.show_view(QueueView.MINE)

    def action_checklist(self) -> None:
        row = self._settled_row("c")
        if row is not None:
            self.open_checklist(row)

    @work(thread=True, exclusive=True, group="checklist")
    def open_checklist(self, row: QueueRow) -> None:
        try:
            lead = self.service.decisions.lead(row.id)
            items = self.service.decisions.checklist(lead)
        except TriageError as exc:
            self.call_from_thread(self._refused, exc, False)
            return

        def chosen(choice: Choice | None) -> None:
            if choice is not None:
                self.answer(lead.id, lead.version, choice)

        self.call_from_thread(
            self.push_screen, ChecklistDialog(lead.name or f"lead #{lead.id}", lead.id, items, lead.grade), chosen
        )

    @work(thread=True, group="decide")
    def answer(self, lead_id: int, version: int, choice: Choice) -> None:
        question, value = choice
        try:
            if question == GRADE:
                lead = self.service.decisions.set_grade(lead_id, value, expected_version=version)
                message = f"Grade {lead.grade or 'cleared'} for #{lead_id}"
            else:
                before = self.service.decisions.lead(lead_id).score
                lead = self.service.decisions.set_answer(lead_id, question, value, expected_version=version)
                message = f"#{lead_id} {question}: score {before} → {lead.score}"
        except StaleLead as exc:
            self.call_from_thread(self._refused, exc, True)
        except TriageError as exc:
            self.call_from_thread(self._refused, exc, False)
        else:
            self.call_from_thread(self._answered, message)

    def _answered(self, message: str) -> None:
        self.notify(message, markup=False, timeout=3)
        self.show_view(self.view, keep_position=True)

    @work(thread=True, group="start")
    def choose_first_view(self) -> None:
        """Start on the rep's own MQLs, or on the pool when they have none."""
        try:
            mine = self.service.decisions.queue_page(QueueView.MINE, limit=1).rows
        except TriageError:
            mine = []  # the queue's own read will say what is wrong
        self.call_from_thread(self.show_view, QueueView.MINE if mine else QueueView.POOL)

    def show_view(self, view: QueueView, *, keep_position: bool = False) -> None:
        self.view = view
        queue = self.queue
        queue.empty_text = (
            "No MQLs of yours: press m for the unassigned pool." if view is QueueView.MINE
            else "The pool is empty."
        )
        if self.filter_text:
            queue.empty_text = "No lead matches the filter (Esc in the filter clears it)."
        queue.border_title = VIEW_TITLES[view]
        queue.border_subtitle = "counting…"
        self._counted = None
        queue.load(partial(self.service.decisions.queue_page, view, text=self.filter_text), keep_position=keep_position)
        self.refresh_bindings()

    @on(LeadQueue.Loaded)
    def _queue_loaded(self) -> None:
        """Count after the page is shown: counting a million leads takes most of a second.
        An empty queue shows no lead beside it (not the one highlighted before)."""
        if not self.queue.rows:
            if self._detail_timer is not None:
                self._detail_timer.stop()
            self.detail.clear("No lead selected.")
        if self._counted != (self.view, self.filter_text):
            self.count_queue(self.view, self.filter_text)

    @work(thread=True, exclusive=True, group="count")
    def count_queue(self, view: QueueView, text: str) -> None:
        try:
            count = self.service.decisions.queue_count(view, text)
        except TriageError:
            return  # the count is a nicety; the queue itself reports a failing database
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._show_count, view, text, count)

    def _show_count(self, view: QueueView, text: str, count: int) -> None:
        if (view, text) == (self.view, self.filter_text):
            shown = counted(count, "lead") + (" match" if count != 1 else " matches") if text else counted(count, "MQL")
            self.queue.border_subtitle = shown
            self._counted = (view, text)

    # --- the highlighted lead ------------------------------------------------------

    @on(LeadQueue.Highlighted)
    def _highlighted(self, event: LeadQueue.Highlighted) -> None:
        has_lead = event.row is not None
        if has_lead != self._had_lead:  # the Footer redraws on every refresh: only when it changes
            self._had_lead = has_lead
            self.refresh_bindings()
        if self._detail_timer is not None:
            self._detail_timer.stop()
        if event.row is None:
            self.detail.clear("No lead selected.")
        else:
            self._detail_timer = self.set_timer(DETAIL_DELAY, partial(self.load_detail, event.row.id))

    @work(thread=True, exclusive=True, group="detail")
    def load_detail(self, lead_id: int) -> None:
        worker = get_current_worker()
        try:
            lead = self.service.decisions.lead(lead_id)
            history = self.service.decisions.history(lead_id)
            items = self.service.decisions.checklist(lead)
            sla = self.service.team.sla_clock().status(lead.stage, lead.handed_over_at, utcnow())
        except TriageError as exc:
            self.call_from_thread(self.detail.clear, one_line(exc))
            return
        if not worker.is_cancelled:
            self.call_from_thread(self.detail.show, lead, history, items, sla)

    #: The queue's moves the lead panel offers with its own keys (j k g G).
    QUEUE_MOVES = frozenset({"cursor_down", "cursor_up", "first", "last"})

    def action_queue_move(self, move: str) -> None:
        if move in self.QUEUE_MOVES:
            getattr(self.queue, f"action_{move}")()

    # --- decisions -----------------------------------------------------------------

    #: The queue's actions: off while another screen (a dialog, the balance) is on top.
    QUEUE_ACTIONS = frozenset({"accept", "return_lead", "undo", "checklist", "take", "filter", "toggle_view",
                               "refresh", "balance", "review_board", "scoring", "import_file"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.QUEUE_ACTIONS and any(
            not isinstance(screen, CommandPalette) for screen in self.screen_stack[1:]
        ):
            return False
        if action in ("accept", "return_lead", "checklist"):
            return True if self.queue.current is not None else None
        return True

    def _settled_row(self, key: str) -> QueueRow | None:
        """The lead under the cursor, unless the queue is about to show other leads (keys
        typed at once: "/", a name, Enter, "a"): then nothing is decided on a lead the rep
        has not seen."""
        if self.queue.replacing:
            self.notify(f"The queue is being read: press {key} again once it shows", markup=False, timeout=3)
            return None
        return self.queue.current

    def action_accept(self) -> None:
        row = self._settled_row("a")
        if row is not None and row.id not in self._deciding:
            self._deciding.add(row.id)
            self.decide(row, None)

    def action_return_lead(self) -> None:
        row = self._settled_row("r")
        if row is None or row.id in self._deciding:
            return

        def returned(decision: ReturnDecision | None) -> None:
            if decision is not None and row.id not in self._deciding:
                self._deciding.add(row.id)
                self.decide(row, decision)

        self.push_screen(ReturnDialog(row.name or f"lead #{row.id}", row.id), returned)

    @work(thread=True, group="decide")
    def decide(self, row: QueueRow, decision: ReturnDecision | None) -> None:
        """Accept (decision None) or return the lead; the store refuses a stale decision."""
        try:
            self._decide(row, decision)
        finally:
            self.call_from_thread(self._decision_done, row.id)

    def _decision_done(self, lead_id: int) -> None:
        self._deciding.discard(lead_id)

    def _decide(self, row: QueueRow, decision: ReturnDecision | None) -> None:
        try:
            if decision is None:
                lead = self.service.decisions.accept(row.id, expected_version=row.version)
            else:
                lead = self.service.decisions.return_lead(row.id, decision, expected_version=row.version)
        except StaleLead as exc:
            self.call_from_thread(self._refused, exc, True)
        except TriageError as exc:
            self.call_from_thread(self._refused, exc, False)
        else:
            verb = "Accepted" if decision is None else "Returned"
            self.call_from_thread(
                self._decided, row, f"{verb} {one_line(row.name)} (#{row.id}) → {lead.stage.label}"
            )

    def _decided(self, row: QueueRow, message: str) -> None:
        self.queue.remove(row.id)
        self.notify(message, markup=False, timeout=3)
        self.count_queue(self.view, self.filter_text)

    def action_undo(self) -> None:
        if self._deciding:  # undo what the rep sees decided, not the decision before it
            self.notify("A decision is being stored: press u again in a moment", markup=False, timeout=3)
        else:
            self.undo_last()

    @work(thread=True, exclusive=True, group="undo")
    def undo_last(self) -> None:
        """Undo the rep's last accept or return (the service checks nobody changed it since)."""
        try:
            lead, undone = self.service.decisions.undo_last()
        except TriageError as exc:
            self.call_from_thread(self._undo_refused, exc)
            return
        where = ("your queue" if lead.owner == self.service.actor else "the unassigned pool" if lead.owner is None
                 else f"{one_line(lead.owner)}'s queue")
        message = (f"Undid your {undone.action} of {one_line(lead.name) or 'a lead'} (#{lead.id}): "
                   f"back to {lead.stage.label}, in {where}")
        self.call_from_thread(self._decided_again, message)

    def _undo_refused(self, exc: TriageError) -> None:
        self.notify(one_line(exc), title="Not undone", severity="warning", markup=False, timeout=8)

    def _decided_again(self, message: str) -> None:
        self.notify(message, markup=False, timeout=5)
        self.show_view(self.view, keep_position=True)

    def _refused(self, exc: TriageError, reload: bool) -> None:
        self.notify(one_line(exc), title="Not stored", severity="error", markup=False, timeout=8)
        if reload:
            self.show_view(self.view, keep_position=True)

    # --- filter, views, help -------------------------------------------------------

    def action_filter(self) -> None:
        self.set_focus(self.query_one("#filter", Input))  # at once: the next key typed is for the filter

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, partial(self.apply_filter, event.value))

    def apply_filter(self, text: str) -> None:
        text = text.strip()
        if text != self.filter_text:
            self.filter_text = text
            self.show_view(self.view)

    def action_keep_filter(self) -> None:
        """Enter in the filter: filter now and go back to the queue."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self.apply_filter(self.query_one("#filter", Input).value)
        self.set_focus(self.queue)  # at once: a key typed right after Enter is for the queue

    def action_clear_filter(self) -> None:
        """Escape in the filter: the whole queue again."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self.query_one("#filter", Input).value = ""
        self.apply_filter("")
        self.set_focus(self.queue)

    def action_toggle_view(self) -> None:
        self.show_view(QueueView.POOL if self.view is QueueView.MINE else QueueView.MINE)

    def action_refresh(self) -> None:
        self.show_view(self.view, keep_position=True)

    def _keys(self, bindings: list[Binding]) -> list[tuple[str, str]]:
        """(keys, description) per action: the keys of one action on one line."""
        keys: dict[tuple[str, str], list[str]] = {}
        for binding in bindings:
            shown = keys.setdefault((binding.action, binding.description), [])
            shown += [self.get_key_display(Binding(key, "")) for key in binding.key.split(",")]
        return [(" / ".join(shown), description) for (_, description), shown in keys.items()]

    def key_bindings(self) -> list[tuple[str, str]]:
        """Every binding of the app and the queue, as (keys, description)."""
        return self._keys([*self.BINDINGS, *LeadQueue.BINDINGS]) + self._keys([
            Binding("ctrl+p", "ctrl+p", "Command palette: every action by name"),
            Binding("tab", "tab", "Next panel: queue, lead, filter (bright border)"),
            Binding("shift+tab", "shift+tab", "Previous panel"),
            Binding("escape", "escape", "In the filter: clear it and go back to the queue"),
            Binding("enter", "enter", "In the filter: back to the queue, keeping the filter"),
        ]) + [("j / k / g / G", "In the lead panel: move the queue; ↑ ↓ scroll it")]

    def dialog_key_bindings(self) -> list[tuple[str, str]]:
        """The return dialog's keys, as (keys, description)."""
        first, last = REASON_KEYS[ReturnReason.NOT_READY], REASON_KEYS[ReturnReason.OTHER]
        return [
            (f"{first} … {last}", "Choose the reason with the digit beside it"),
            (" / ".join(PATH_KEYS.values()), "Choose the path: " + " or ".join(path.value for path in PATH_KEYS)),
            ("↑ / ↓", "Choose a reason or a path"),
            ("enter", "Next field; in the note or date: return the lead"),
            ("tab / ⇧tab", "Next / previous field"),
            *self._keys([binding for binding in ReturnDialog.BINDINGS if binding.action in ("cancel", "submit")]),
        ]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_bindings(), self.dialog_key_bindings()))
