"""The main screen: the rep's queue, the highlighted lead, and the decisions.

The app's default screen. It owns the queue's keys (the App keeps only help, quit and
the palette), and the background work a rep starts from here: an import and a rescore,
each with a progress line of its own and stopped by `x`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from threading import Event, Lock, Thread
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input
from textual.worker import get_current_worker

from triage.domain.checklist import Question
from triage.domain.errors import StaleLead, TriageError
from triage.domain.models import QueueRow, ReturnDecision
from triage.domain import language
from triage.domain.language import N_, _, counted
from triage.domain.text import one_line
from triage.domain.queue import COUNT_AT_MOST, PAGE_ROWS, QueuePage, QueueView
from triage.services import Services
from triage.services.decisions import ACTION_LABELS, Opening

from .checklist_dialog import GRADE, ChecklistDialog, Choice
from .filter_input import FilterInput
from .lead_detail import LeadDetail
from .lead_queue import LeadQueue
from .return_dialog import ReturnDialog
from .screen_commands import app_keys, described, speak_bindings
from .steady_footer import SteadyFooter
from .work_progress import WorkProgress

VIEW_TITLES = {QueueView.MINE: N_("My MQLs"), QueueView.POOL: N_("Unassigned pool")}
FILTER_DELAY = 0.15
#: The detail panel follows the cursor once it rests this long, not on every row it passes.
DETAIL_DELAY = 0.12
#: How often the screen looks for leads other reps changed (in a worker: one cheap query).
POLL_SECONDS = 5.0
#: How often the screen looks for leads handed over to its rep (one cheap query).
HANDOVER_SECONDS = 1.0
#: The worker groups of the background work `x` stops.
IMPORT, RESCORE = "import", "rescore"


class Stopped(Exception):
    """Raised between batches, in the worker, once the rep asked the work to stop; its
    args are the progress figures of the batches done."""


def stoppable(report: Callable[..., None]) -> Callable[..., None]:
    """A progress callback for a service, called between its batches: it reports the
    progress, or ends the work there when its worker was cancelled."""
    worker = get_current_worker()

    def progress(*figures: float) -> None:
        if worker.is_cancelled:
            raise Stopped(*figures)
        worker.node.app.call_from_thread(report, *figures)

    return progress


class QueueScreen(Screen[None]):
    """Work the queue: accept a lead (SAL) or return it to marketing (SRL)."""

    CSS_PATH = ["queue_screen.tcss", "lead_queue.tcss", "lead_detail.tcss"]
    #: Focused from the start: focusing it at mount, after the filter had the focus, built
    #: the Footer twice before the first frame settled (its keys are the queue's).
    AUTO_FOCUS = "#queue"
    #: The palette offers the queue's moves too.
    PALETTE_WIDGETS = ("LeadQueue",)
    #: The Footer shows what a rep uses most, and the App adds help and quit (all must fit
    #: 80 columns); every other key is listed by `?` and offered by the command palette.
    BINDINGS = [
        Binding("a", "accept", N_("Accept"), tooltip=N_("Accept the lead: it becomes a SAL"), id="accept"),
        Binding("r", "return_lead", N_("Return"), tooltip=N_("Return the lead to marketing with a reason"),
                id="return"),
        Binding("u", "undo", N_("Undo"),
                tooltip=N_("Undo your last accept or return, while nobody changed the lead since"), id="undo"),
        Binding("slash", "filter", N_("Filter"), tooltip=N_("Filter the queue by name, company or email"),
                id="filter"),
        Binding("m", "toggle_view", N_("Mine/pool"), tooltip=N_("Switch between your MQLs and the unassigned pool"),
                id="mine_pool"),
        Binding("t", "take", N_("Take next"), show=False,
                tooltip=N_("Take the next lead from the unassigned pool as your own"), id="take"),
        Binding("c", "checklist", N_("Checklist"), show=False,
                tooltip=N_("Confirm or override a checklist answer, or grade the lead"), id="checklist"),
        Binding("b", "balance", N_("Balance"), show=False,
                tooltip=N_("The team's queues, SLA and fairness (team lead)"), id="balance"),
        Binding("i", "import_file", N_("Import"), show=False, tooltip=N_("Import leads from a CSV, JSON or XLSX file"),
                id="import"),
        Binding("v", "review_board", N_("Review"), show=False, tooltip=N_("The review board's returns of a period"),
                id="review"),
        Binding("s", "scoring", N_("Scoring"), show=False, tooltip=N_("What the decisions say about the scoring rules"),
                id="scoring"),
        Binding("x", "stop_work", N_("Stop import/rescore"), show=False,
                tooltip=N_("Stop the import or the rescore running now, keeping what is done"), id="stop"),
        Binding("ctrl+r,f5", "refresh", N_("Refresh"), show=False, tooltip=N_("Read the queue again"), id="refresh"),
    ]

    def __init__(self, service: Services, poll_seconds: float = POLL_SECONDS,
                 opening: Opening | None = None) -> None:
        """`opening`: what the first screen shows, read before the app started (see
        `triage.cli.main`); without it the screen reads it itself."""
        super().__init__()
        speak_bindings(self)
        self.poll_seconds = poll_seconds
        self.service = service
        self._opening = opening
        #: The lead whose panel came with the opening: its highlight reads nothing again.
        self._opened_lead: int | None = None
        self.view = QueueView.MINE
        self.filter_text = ""
        self._filter_timer: Timer | None = None
        self._had_lead = False
        self._detail_timer: Timer | None = None
        self._deciding: set[int] = set()
        #: The (view, filter) whose count the border shows: Home and End need no recount.
        self._counted: tuple[QueueView, str] | None = None
        self._marker: tuple[int, int] | None = None
        self._handed_up_to: int | None = None
        #: The timers that are still to fire ("detail", "filter"): see `settling`.
        self._due: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="queue-pane"):
                yield FilterInput(placeholder=_("/ filter by name, company or email (Esc clears)"), id="filter")
                yield LeadQueue(id="queue")
            yield LeadDetail(id="detail")
        yield WorkProgress(id="import-work")
        yield WorkProgress(id="rescore-work")
        yield SteadyFooter()

    @property
    def queue(self) -> LeadQueue:
        return self.query_one(LeadQueue)

    @property
    def detail(self) -> LeadDetail:
        return self.query_one(LeadDetail)

    @property
    def settling(self) -> bool:
        """Whether the lead panel is still to follow the cursor, or the queue the filter
        typed (their timers are due): tests wait for this, not for a time."""
        return bool(self._due)

    def _stop_timer(self, name: str) -> None:
        timer = self._filter_timer if name == "filter" else self._detail_timer
        if timer is not None:
            timer.stop()
        self._due.discard(name)

    def _when_due(self, name: str, callback: Callable[[], object]) -> Callable[[], None]:
        def fire() -> None:
            self._due.discard(name)
            callback()

        self._due.add(name)
        return fire

    def _compositor_refresh(self) -> None:
        """Textual draws the first frame while the app still mounts (in a batch of updates)
        and drops it unseen, dirty regions and all: the whole screen showed only frames
        later. Here the frame waits for the batch to end (the app's next turn) and is then
        drawn whole, once."""
        if self.app._batch_count:
            self.app.call_later(self.refresh)
            return
        super()._compositor_refresh()

    def on_mount(self) -> None:
        self.queue.clock = self.service.team.sla_clock()
        if self._opening is not None:
            self.open_on(self._opening)  # in the first frame drawn
            self._opening = None
        else:
            self.choose_first_view()
        self.rescore_leads()
        self.set_interval(self.poll_seconds, self.look_for_changes)
        self.listen_for_handovers()

    def _say(self, message: str, **options) -> None:
        self.app.notify(message, markup=False, **options)

    # --- other reps' changes -------------------------------------------------------

    @work(thread=True, exclusive=True, group="poll")
    def look_for_changes(self) -> None:
        """Read the queue again when anyone (another rep, an import) changed leads."""
        try:
            marker = self.service.decisions.change_marker()
        except TriageError:
            return  # the next decision or refresh reports it; polling stays quiet
        self.app.call_from_thread(self._changes_seen, marker)

    def listen_for_handovers(self) -> None:
        """Sales told at once: a lead handed over to this rep, or to the pool, is named in a
        notification within a second or two, and the queue puts it in its place. On
        PostgreSQL the database tells the app (LISTEN/NOTIFY) on a thread of its own (not a
        worker: it runs as long as the screen, and waiting for the workers must not wait
        for it), with a look every 5 s as the fallback when listening fails; on SQLite a
        look every second at the newest audit event (one cheap query). Each look reads only
        the events since the last."""
        self._listening = Event()
        self._handover_lock = Lock()
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

    @work(thread=True, group="handovers")
    def look_for_handovers(self) -> None:
        """A look on the timer; not exclusive: the lock takes the looks one at a time, and a
        look cancelled halfway would be lost work."""
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

    def _from_listener(self, callback: Callable[..., object], *args: object) -> None:
        """`callback` on the app's thread, unless the screen is closing (then nothing)."""
        if self._listening.is_set():
            return
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app closed meanwhile
            pass

    def _handovers_seen(self, lines: list[str]) -> None:
        for line in lines[:5]:
            self._say(one_line(line), title=_("Handed over to sales"), timeout=8)
        if len(lines) > 5:
            self._say(_("and {count} more").format(count=language.number(len(lines) - 5)), title=_("Handed over to sales"),
                      timeout=8)
        if not self._deciding:
            self.show_view(self.view, keep_position=True)

    def _changes_seen(self, marker: tuple[int, int]) -> None:
        if self._marker is not None and marker != self._marker and not self._deciding:
            self.show_view(self.view, keep_position=True)
        self._marker = marker

    # --- background work: rescore and import -------------------------------------------

    def _work_line(self, group: str) -> WorkProgress:
        return self.query_one(f"#{group}-work", WorkProgress)

    def _work_running(self, group: str) -> bool:
        return any(worker.group == group and worker.is_running for worker in self.workers)

    @work(thread=True, exclusive=True, group=RESCORE)
    def rescore_leads(self) -> None:
        """Score again, in batches, the leads other rules scored; reps keep working."""
        call = self.app.call_from_thread
        line = self._work_line(RESCORE)
        try:
            if not self.service.scoring.count_to_rescore():
                return
            call(line.start, _("Rescoring, rules {version} (x stops)").format(version=one_line(self.service.rules.version)))
            self.service.scoring.rescore(progress=stoppable(line.advance))
        except Stopped as stop:
            done, total = stop.args
            call(self._say, counted(total, "Rescore stopped: {done} of {count} lead scored again with rules version "
                                    "{version}; the others keep their score until the next rescore",
                                    "Rescore stopped: {done} of {count} leads scored again with rules version "
                                    "{version}; the others keep their score until the next rescore",
                                    done=language.number(done), version=one_line(self.service.rules.version)),
                 title=_("Stopped"), timeout=10)
        except TriageError as exc:
            call(self._say, one_line(exc), title=_("Not scored"), severity="error")
        else:
            call(self._rescored)
        finally:
            call(line.stop)

    def _rescored(self) -> None:
        self._say(_("Scored the leads with rules version {version}").format(version=self.service.rules.version), timeout=3)
        self.show_view(self.view, keep_position=True)

    @work(thread=True, exclusive=True, group="import-check")
    def action_import_file(self) -> None:
        """The path, then a preview of what the import will make of the file; then import.
        Whoever may not import is told so before typing a path."""
        try:
            self.service.transfer.check_may_import()
        except TriageError as exc:
            self.app.call_from_thread(self._say, one_line(exc), title=_("Not imported"), severity="error", timeout=10)
            return
        self.app.call_from_thread(self._open_import_dialog)

    def _open_import_dialog(self) -> None:
        from .import_dialog import ImportDialog, ImportRequest

        def chosen(request: ImportRequest | None) -> None:
            if request is not None:
                self.import_file(str(request.path), request.mapping)

        self.app.push_screen(ImportDialog(self.service.rules), chosen)

    @work(thread=True, exclusive=True, group=IMPORT)
    def import_file(self, path: str, mapping: dict[str, str] | None = None) -> None:
        """The same import as `triage import`, with the mapping the preview showed and a
        progress line of its own."""
        call = self.app.call_from_thread
        line = self._work_line(IMPORT)
        call(line.start, _("Importing {file} (x stops)").format(file=one_line(Path(path).name)))
        try:
            summary = self.service.transfer.import_file(
                Path(path).expanduser(), mapping=mapping or None,
                progress=stoppable(lambda share: line.advance(round(share * 1000), 1000)),
            )
            assigned = self.service.team.assign_imported(summary) if summary.imported else 0
        except Stopped:
            call(self._say, _("Import of {file} stopped: nothing was imported (an import is stored whole or not "
                              "at all)").format(file=one_line(Path(path).name)), title=_("Stopped"), timeout=10)
            return
        except TriageError as exc:
            call(self._say, one_line(exc), title=_("Not imported"), severity="error", timeout=10)
            return
        finally:
            call(line.stop)
        message = summary.line() + (counted(assigned, "; {count} lead assigned to the reps",
                                             "; {count} leads assigned to the reps") if assigned else "")
        if summary.unknown_columns:
            message += _(". Not mapped, kept with each lead: {columns}").format(columns=", ".join(summary.unknown_columns))
        if summary.unknown_channels:
            message += _(". Channels triage does not know (kept): {channels}").format(
                channels=", ".join(summary.unknown_channels))
        if summary.rejects_path:
            message += _(". Rejected rows with the reason: {path}").format(path=summary.rejects_path)
        call(self._say, one_line(message), title=_("Import"),
             severity="warning" if summary.rejected else "information", timeout=10)
        call(self.show_view, self.view, keep_position=True)

    def action_stop_work(self) -> None:
        """Stop the import and the rescore between two batches; each says what it kept."""
        for group in (IMPORT, RESCORE):
            if self._work_running(group):
                self.workers.cancel_group(self, group)

    # --- other screens ---------------------------------------------------------------

    def _open_over_queue(self, screen) -> None:
        """Show `screen`; when it closes, the queue is read again (leads may have moved)."""
        self.app.push_screen(screen, lambda _: self.show_view(self.view, keep_position=True))

    def action_balance(self) -> None:
        from .balance import BalanceScreen  # imported when first opened: a faster start

        self._open_over_queue(BalanceScreen(self.service))

    def action_review_board(self) -> None:
        from .review_board import ReviewBoard

        self._open_over_queue(ReviewBoard(self.service))

    def action_scoring(self) -> None:
        def closed(adopted: bool | None) -> None:
            if adopted:
                self.rescore_leads()

        from .scoring_report import ScoringReport

        self.app.push_screen(ScoringReport(self.service), closed)

    # --- take, checklist -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="take")
    def action_take(self) -> None:
        try:
            lead = self.service.decisions.take()
        except TriageError as exc:
            self.app.call_from_thread(self._refused, exc, False)
            return
        self.app.call_from_thread(self._taken, lead)

    def _taken(self, lead) -> None:
        if lead is None:
            self._say(_("The unassigned pool is empty: nothing to take"), timeout=4)
            return
        self._say(_("Took {name} (#{id}) from the pool").format(name=one_line(lead.name) or _("a lead"), id=lead.id),
                  timeout=3)
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
            self.app.call_from_thread(self._refused, exc, False)
            return

        def chosen(choice: Choice | None) -> None:
            if choice is not None:
                self.answer(lead.id, lead.version, choice)

        self.app.call_from_thread(
            self.app.push_screen, ChecklistDialog(lead.name or _("lead #{id}").format(id=lead.id), lead.id, items, lead.grade), chosen
        )

    @work(thread=True, group="decide")
    def answer(self, lead_id: int, version: int, choice: Choice) -> None:
        question, value = choice
        try:
            if question == GRADE:
                lead = self.service.decisions.set_grade(lead_id, value, expected_version=version)
                message = _("Grade {grade} for #{id}").format(grade=lead.grade or _("cleared"), id=lead_id)
            else:
                before = self.service.decisions.lead(lead_id).score
                lead = self.service.decisions.set_answer(lead_id, question, value, expected_version=version)
                message = _("#{id} {question}: score {before} → {after}").format(
                    id=lead_id, question=Question(question).label, before=before, after=lead.score)
        except StaleLead as exc:
            self.app.call_from_thread(self._refused, exc, True)
        except TriageError as exc:
            self.app.call_from_thread(self._refused, exc, False)
        else:
            self.app.call_from_thread(self._answered, message)

    def _answered(self, message: str) -> None:
        self._say(message, timeout=3)
        self.show_view(self.view, keep_position=True)

    # --- the queue -------------------------------------------------------------------

    @work(thread=True, group="start")
    def choose_first_view(self) -> None:
        """Read what the first screen shows: the rep's own MQLs, or the pool."""
        try:
            opening = self.service.decisions.opening(
                self.service.team.sla_clock(), limit=PAGE_ROWS, count_at_most=COUNT_AT_MOST)
        except TriageError:  # the queue's own read will say what is wrong
            self.app.call_from_thread(self.show_view, QueueView.POOL)
        else:
            self.app.call_from_thread(self.open_on, opening)

    def open_on(self, opening: Opening) -> None:
        """Show the opening as it was read: the view's first page, its count and its first
        lead, without reading any of them again."""
        self.show_view(opening.view, first_page=opening.page)
        self._show_count(opening.view, "", opening.count)
        panel = opening.panel
        if panel is not None and self.queue.current is not None and self.queue.current.id == panel.lead.id:
            self._opened_lead = panel.lead.id
            self.detail.show(panel.lead, panel.history, panel.checklist, panel.sla)

    def show_view(self, view: QueueView, *, keep_position: bool = False, first_page: QueuePage | None = None) -> None:
        self.view = view
        queue = self.queue
        queue.empty_text = (
            _("No MQLs of yours: press m for the unassigned pool.") if view is QueueView.MINE
            else _("The pool is empty.")
        )
        if self.filter_text:
            queue.empty_text = _("No lead matches the filter (Esc in the filter clears it).")
        queue.border_title = _(VIEW_TITLES[view])
        queue.border_subtitle = _("counting…")
        self._counted = None
        queue.load(partial(self.service.decisions.queue_page, view, text=self.filter_text), keep_position=keep_position,
                   first_page=first_page if not self.filter_text else None)
        self.refresh_bindings()

    @on(LeadQueue.Loaded)
    def _queue_loaded(self) -> None:
        """Count after the page is shown, at most `COUNT_AT_MOST` leads (a million would take seconds).
        An empty queue shows no lead beside it (not the one highlighted before)."""
        if not self.queue.rows:
            self._stop_timer("detail")
            self.detail.clear(_("No lead selected."))
        if self._counted != (self.view, self.filter_text):
            queue = self.queue
            if queue.more_after or queue.more_before:
                self.count_queue(self.view, self.filter_text)
            else:  # the page holds the whole queue: a filter matching nothing is not scanned twice
                self._show_count(self.view, self.filter_text, len(queue.rows))

    @work(thread=True, exclusive=True, group="count")
    def count_queue(self, view: QueueView, text: str) -> None:
        try:
            count = self.service.decisions.queue_count(view, text, at_most=COUNT_AT_MOST)
        except TriageError:
            return  # the count is a nicety; the queue itself reports a failing database
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_count, view, text, count)

    def _show_count(self, view: QueueView, text: str, count: int) -> None:
        if (view, text) == (self.view, self.filter_text):
            shown = (counted(count, "{count} lead matches", "{count} leads match") if text
                     else counted(count, "{count} MQL", "{count} MQLs"))
            if count > COUNT_AT_MOST:  # "1,000+ MQLs": the cap with a plus, in the language's digits
                shown = shown.replace(language.number(count), language.number(COUNT_AT_MOST) + "+", 1)
            self.queue.border_subtitle = shown
            self._counted = (view, text)

    # --- the highlighted lead ------------------------------------------------------

    @on(LeadQueue.Highlighted)
    def _highlighted(self, event: LeadQueue.Highlighted) -> None:
        has_lead = event.row is not None
        if has_lead != self._had_lead:  # the Footer redraws on every refresh: only when it changes
            self._had_lead = has_lead
            self.refresh_bindings()
        self._stop_timer("detail")
        opened, self._opened_lead = self._opened_lead, None
        if event.row is None:
            self.detail.clear(_("No lead selected."))
        elif event.row.id == opened and not event.moved:
            pass  # the panel shows what was read with the opening
        elif event.moved:  # the panel follows once the keys pause, not every lead passed
            self._detail_timer = self.set_timer(
                DETAIL_DELAY, self._when_due("detail", partial(self.load_detail, event.row.id)))
        else:
            self.load_detail(event.row.id)

    @work(thread=True, exclusive=True, group="detail")
    def load_detail(self, lead_id: int) -> None:
        worker = get_current_worker()
        try:
            panel = self.service.decisions.lead_panel(lead_id, self.service.team.sla_clock())
        except TriageError as exc:
            self.app.call_from_thread(self.detail.clear, one_line(exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.detail.show, panel.lead, panel.history, panel.checklist, panel.sla)

    #: The queue's moves the lead panel offers with its own keys (j k g G).
    QUEUE_MOVES = frozenset({"cursor_down", "cursor_up", "first", "last"})

    def action_queue_move(self, move: str) -> None:
        if move in self.QUEUE_MOVES:
            getattr(self.queue, f"action_{move}")()

    # --- decisions -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accept", "return_lead", "checklist"):
            return True if self.is_mounted and self.queue.current is not None else None
        if action == "stop_work":
            return self.is_mounted and (self._work_running(IMPORT) or self._work_running(RESCORE))
        return True

    def _settled_row(self, key: str) -> QueueRow | None:
        """The lead under the cursor, unless the queue is about to show other leads (keys
        typed at once: "/", a name, Enter, "a"): then nothing is decided on a lead the rep
        has not seen."""
        if self.queue.replacing:
            self._say(_("The queue is being read: press {key} again once it shows").format(key=key), timeout=3)
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

        self.app.push_screen(ReturnDialog(row.name or _("lead #{id}").format(id=row.id), row.id), returned)

    @work(thread=True, group="decide")
    def decide(self, row: QueueRow, decision: ReturnDecision | None) -> None:
        """Accept (decision None) or return the lead; the store refuses a stale decision."""
        try:
            self._decide(row, decision)
        finally:
            self.app.call_from_thread(self._decision_done, row.id)

    def _decision_done(self, lead_id: int) -> None:
        self._deciding.discard(lead_id)

    def _decide(self, row: QueueRow, decision: ReturnDecision | None) -> None:
        try:
            if decision is None:
                lead = self.service.decisions.accept(row.id, expected_version=row.version)
            else:
                lead = self.service.decisions.return_lead(row.id, decision, expected_version=row.version)
        except StaleLead as exc:
            self.app.call_from_thread(self._refused, exc, True)
        except TriageError as exc:
            self.app.call_from_thread(self._refused, exc, False)
        else:
            said = _("Accepted {name} (#{id}) → {stage}") if decision is None else _("Returned {name} (#{id}) → {stage}")
            self.app.call_from_thread(
                self._decided, row, said.format(name=one_line(row.name), id=row.id, stage=lead.stage.label)
            )

    def _decided(self, row: QueueRow, message: str) -> None:
        self.queue.drop(row.id)
        self._say(message, timeout=3)
        self.count_queue(self.view, self.filter_text)

    def action_undo(self) -> None:
        if self._deciding:  # undo what the rep sees decided, not the decision before it
            self._say(_("A decision is being stored: press u again in a moment"), timeout=3)
        else:
            self.undo_last()

    @work(thread=True, exclusive=True, group="undo")
    def undo_last(self) -> None:
        """Undo the rep's last accept or return (the service checks nobody changed it since)."""
        try:
            lead, undone = self.service.decisions.undo_last()
        except TriageError as exc:
            self.app.call_from_thread(self._undo_refused, exc)
            return
        where = (_("your queue") if lead.owner == self.service.actor else _("the unassigned pool")
                 if lead.owner is None else _("{login}'s queue").format(login=one_line(lead.owner)))
        said = _("Undid your accept of {name} (#{id}): back to {stage}, in {where}") if undone.action == "accept" \
            else _("Undid your return of {name} (#{id}): back to {stage}, in {where}") if undone.action == "return" \
            else _("Undid your {action} of {name} (#{id}): back to {stage}, in {where}")
        message = said.format(action=_(ACTION_LABELS.get(undone.action, undone.action)), name=one_line(lead.name) or _("a lead"), id=lead.id,
                              stage=lead.stage.label, where=where)
        self.app.call_from_thread(self._decided_again, message)

    def _undo_refused(self, exc: TriageError) -> None:
        self._say(one_line(exc), title=_("Not undone"), severity="warning", timeout=8)

    def _decided_again(self, message: str) -> None:
        self._say(message, timeout=5)
        self.show_view(self.view, keep_position=True)

    def _refused(self, exc: TriageError, reload: bool) -> None:
        self._say(one_line(exc), title=_("Not stored"), severity="error", timeout=8)
        if reload:
            self.show_view(self.view, keep_position=True)

    # --- filter, views ---------------------------------------------------------------

    def action_filter(self) -> None:
        self.set_focus(self.query_one("#filter", Input))  # at once: the next key typed is for the filter

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._stop_timer("filter")
        self._filter_timer = self.set_timer(
            FILTER_DELAY, self._when_due("filter", partial(self.apply_filter, event.value)))

    def apply_filter(self, text: str) -> None:
        text = text.strip()
        if text != self.filter_text:
            self.filter_text = text
            self.show_view(self.view)

    def action_keep_filter(self) -> None:
        """Enter in the filter: filter now and go back to the queue."""
        self._stop_timer("filter")
        self.apply_filter(self.query_one("#filter", Input).value)
        self.set_focus(self.queue)  # at once: a key typed right after Enter is for the queue

    def action_clear_filter(self) -> None:
        """Escape in the filter: the whole queue again."""
        self._stop_timer("filter")
        self.query_one("#filter", Input).value = ""
        self.apply_filter("")
        self.set_focus(self.queue)

    def action_toggle_view(self) -> None:
        self.show_view(QueueView.POOL if self.view is QueueView.MINE else QueueView.MINE)

    def action_refresh(self) -> None:
        self.show_view(self.view, keep_position=True)

    # --- help --------------------------------------------------------------------------

    def key_bindings(self) -> list[tuple[str, str]]:
        """The screen's keys and the queue's, as (keys, description), for `?`."""
        pairs = [(keys, description) for keys, description, _ in (*described(self), *described(self.queue))]
        return pairs + [
            ("^p", _("Command palette: every action by name")),
            ("tab", _("Next panel: queue, lead, filter (bright border)")),
            ("⇧tab", _("Previous panel")),
            ("esc", _("In the filter: clear it and go back to the queue")),
            ("enter", _("In the filter: back to the queue, keeping the filter")),
            ("j / k / g / G", _("In the lead panel: move the queue; ↑ ↓ scroll it")),
            *app_keys(self),
        ]

    def more_key_bindings(self) -> list[tuple[str, str]]:
        """The return dialog's keys: the dialog a rep opens most."""
        return ReturnDialog.key_bindings_of(self.app)
