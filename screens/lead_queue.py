"""The rep's queue: a window of leads paged from the database, only visible lines drawn.

A million leads never fit in a widget (Textual's DataTable needs minutes and 1.4 GB for
that), so this widget holds a buffer of a few pages of `QueueRow`s and fetches the next
or previous page by key, in a thread worker, as the cursor nears either end.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from typing import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from triage.domain.language import N_, _, current
from triage.domain.models import Interest, QueueRow, Stage
from triage.domain.queue import LAST_KEY, PAGE_ROWS, QueuePage
from triage.domain.sla import BusinessClock, SlaState, SlaStatus
from triage.domain.text import one_line

from .screen_commands import speak_bindings

#: fetch(after=..., before=..., limit=...) -> QueuePage, for the current view and filter.
Fetcher = Callable[..., QueuePage]

BUFFER_ROWS = 400
PREFETCH_MARGIN = 60
#: The mouse wheel moves the cursor this many leads.
SCROLL_ROWS = 3

#: (title, width); width None columns (name, company) share what the others leave. A fixed
#: column is at least as wide as its heading in the language in use, the SLA column as its
#: longest text ("99 h zu spät" in German): see `sizes`.
COLUMNS = (("", 1), (N_("name"), None), (N_("company"), None), (N_("channel"), 14), (N_("interest"), 8),
           (N_("score"), 5), (N_("SLA"), 9))
HEADER = tuple(title for title, _ in COLUMNS)
SLA_COLUMN = len(COLUMNS) - 1
INTEREST_LABELS = {Interest.INQUIRY: N_("inquiry"), Interest.QUOTE_REQUEST: N_("quote"), Interest.DEMO_REQUEST: N_("demo")}


#: On a narrow terminal these columns give way, in this order, before names get too short.
NARROW_DROPS = ("channel", "interest")
MIN_FLEXIBLE = 10


@lru_cache(maxsize=4)
def sizes(code: str) -> tuple[int | None, ...]:
    """The columns' widths in the language `code` (the one in use: the cache's key)."""
    sla = max(cell_len(SlaStatus(datetime.min, hours, state).short())
              for hours in (99.0, 0.99) for state in (SlaState.BREACHED, SlaState.OK))
    found = [None if size is None else max(size, cell_len(_(title)) if title else size) for title, size in COLUMNS]
    found[SLA_COLUMN] = max(found[SLA_COLUMN] or 0, sla)
    return tuple(found)


@lru_cache(maxsize=8)
def column_widths(width: int, code: str = "en") -> tuple[int, ...]:
    """Each column's width for a line `width` cells wide in the language `code`; 0 for a
    column left out."""
    fixed = sizes(code)
    flexible = sum(1 for size in fixed if size is None)
    dropped: set[str] = set()

    def left() -> int:
        return width - sum(size + 1 for (title, _), size in zip(COLUMNS, fixed)
                           if size is not None and title not in dropped)

    for title in NARROW_DROPS:
        if left() >= flexible * (MIN_FLEXIBLE + 1):
            break
        dropped.add(title)
    share = max(4, left() // flexible - 1)
    return tuple(0 if title in dropped else share if size is None else size
                 for (title, _), size in zip(COLUMNS, fixed))


def age_text(since: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(timezone.utc)) - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("{days}d {hours}h").format(days=days, hours=hours)
    return _("{hours}h").format(hours=hours) if hours else _("{minutes}m").format(minutes=rest // 60)


def fit(text: str, size: int) -> str:
    """`text` padded or cut to `size` cells; a cut shows as a trailing ellipsis."""
    if cell_len(text) > size > 1:
        return set_cell_size(text, size - 1) + "…"
    return set_cell_size(text, size)


def row_cells(row: QueueRow, sla: SlaStatus | None, sla_size: int = 9) -> tuple[str, ...]:
    return (
        "▲" if row.interest is Interest.DEMO_REQUEST else " ",
        one_line(row.name),
        one_line(row.company),
        row.channel.label,
        _(INTEREST_LABELS[row.interest]),
        f"{row.score:>5}",
        (sla.short() if sla else "").rjust(sla_size),
    )


@dataclass
class _Fetch:
    generation: int
    direction: str  # "reset", "end", "after", "before"
    #: A reset that starts after a given lead: there are leads before the page.
    anchored: bool = False


class LeadQueue(Widget, can_focus=True):
    """The queue of MQLs in priority order."""

    BINDINGS = [
        Binding("down,j", "cursor_down", N_("Down"), show=False),
        Binding("up,k", "cursor_up", N_("Up"), show=False),
        Binding("pagedown", "page_down", N_("Page down"), show=False),
        Binding("pageup", "page_up", N_("Page up"), show=False),
        Binding("home,g", "first", N_("First lead"), show=False),
        Binding("end,G", "last", N_("Last lead"), show=False),
    ]
    COMPONENT_CLASSES = {
        "lead-queue--header",
        "lead-queue--cursor",
        "lead-queue--handraiser",
        "lead-queue--overdue",
        "lead-queue--soon",
        "lead-queue--empty",
    }

    class Highlighted(Message):
        """The cursor is on another lead (or on none: `row` is None). `moved`: the rep moved
        it (a key, the mouse), so more moves may follow; else a page came or a lead left."""

        def __init__(self, row: QueueRow | None, moved: bool = False) -> None:
            super().__init__()
            self.row = row
            self.moved = moved

    class Loaded(Message):
        """A fresh first (or last) page is shown, e.g. after the view or filter changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        speak_bindings(self)
        self.rows: list[QueueRow] = []
        self.cursor = 0
        self.top = 0
        self.more_after = False
        self.more_before = False
        self.fetching = False
        #: The rows shown are about to be replaced (another view or filter, Home or End
        #: past the buffer): the lead under the cursor is not the one the rep will see.
        self.replacing = False
        self.empty_text = _("No leads here.")
        self._fetcher: Fetcher | None = None
        self._generation = 0
        self._pending: set[str] = set()
        self._highlighted: int | None = None
        self._now = datetime.now(timezone.utc)
        self._styles: dict[str, Style] | None = None
        #: The team's business-hour clock; the app sets it from the rules in force.
        self.clock = BusinessClock()
        self._sla_cache: dict[tuple[int, datetime], SlaStatus | None] = {}

    # --- what the app uses ---------------------------------------------------------

    @property
    def current(self) -> QueueRow | None:
        return self.rows[self.cursor] if self.rows else None

    @property
    def row_count(self) -> int:
        """Rows held in the buffer (never the whole queue)."""
        return len(self.rows)

    def load(self, fetcher: Fetcher, *, keep_position: bool = False, first_page: QueuePage | None = None) -> None:
        """Show the queue `fetcher` pages through, from the top (or from the current lead).
        `first_page`: its first `PAGE_ROWS` leads, read already (the start reads them in the
        worker that chose the view), shown without reading them again."""
        self._fetcher = fetcher
        self._generation += 1
        self._pending.clear()
        if first_page is not None and not keep_position:
            self._fetched(_Fetch(self._generation, "reset"), first_page)
            return
        self.fetching = True
        self.replacing = not keep_position or not self.rows
        start = None
        if keep_position and self.rows:
            anchor = self.rows[max(0, self.cursor - 1)] if self.cursor else None
            start = (anchor.queue_key, anchor.id) if anchor else None
        self._fetch("reset", after=start)
        self.refresh()

    def drop(self, lead_id: int) -> None:
        """Drop a decided lead; the cursor stays put, so the next lead is highlighted."""
        index = next((i for i, row in enumerate(self.rows) if row.id == lead_id), None)
        if index is None:
            return
        del self.rows[index]
        if index < self.cursor or self.cursor >= len(self.rows):
            self.cursor = max(0, self.cursor - 1) if index <= self.cursor else self.cursor
        self._after_move()

    # --- fetching ------------------------------------------------------------------

    def _fetch(self, direction: str, **where) -> None:
        if self._fetcher is None or direction in self._pending:
            return
        self._pending.add(direction)
        anchored = direction == "reset" and where.get("after") is not None
        fetcher, job = self._fetcher, _Fetch(self._generation, direction, anchored)

        def work() -> None:
            try:
                page = fetcher(limit=PAGE_ROWS, **where)
            except Exception as exc:  # shown to the rep, never a traceback
                self.app.call_from_thread(self._fetch_failed, job, exc)
            else:
                self.app.call_from_thread(self._fetched, job, page)

        self.run_worker(work, thread=True, group=f"queue-{direction}", exit_on_error=False)

    def _fetch_failed(self, job: _Fetch, exc: Exception) -> None:
        self._pending.discard(job.direction)
        if job.generation == self._generation:
            self.fetching = self.replacing = False
            self.app.notify(_("Could not read the queue: {error}").format(error=one_line(exc)), severity="error",
                            markup=False)
            self.refresh()

    def _fetched(self, job: _Fetch, page: QueuePage) -> None:
        self._pending.discard(job.direction)
        if job.generation != self._generation:
            return
        self._now = datetime.now(timezone.utc)
        if job.direction in ("reset", "end"):
            self._sla_cache.clear()
            self.fetching = self.replacing = False
            # A fresh page: the detail reloads even on the same lead, and clears on an empty one.
            self._highlighted = -1
            self.rows = list(page.rows)
            if job.direction == "end":
                self.more_before, self.more_after = page.more, False
                self.cursor = max(0, len(self.rows) - 1)
            else:
                self.more_after, self.more_before = page.more, job.anchored
                self.cursor = 0
            self.top = 0
            self.post_message(self.Loaded())
        elif job.direction == "after":
            self.rows.extend(page.rows)
            self.more_after = page.more
            overflow = len(self.rows) - BUFFER_ROWS
            if overflow > 0 and self.cursor - overflow >= PREFETCH_MARGIN:
                del self.rows[:overflow]
                self.cursor -= overflow
                self.top = max(0, self.top - overflow)
                self.more_before = True
        else:
            self.rows[:0] = page.rows
            self.cursor += len(page.rows)
            self.top += len(page.rows)
            self.more_before = page.more
            overflow = len(self.rows) - BUFFER_ROWS
            if overflow > 0 and len(self.rows) - overflow - self.cursor > PREFETCH_MARGIN:
                del self.rows[-overflow:]
                self.more_after = True
        self._after_move()

    def _prefetch(self) -> None:
        if not self.rows:
            return
        if self.more_after and len(self.rows) - 1 - self.cursor < PREFETCH_MARGIN:
            last = self.rows[-1]
            self._fetch("after", after=(last.queue_key, last.id))
        if self.more_before and self.cursor < PREFETCH_MARGIN:
            first = self.rows[0]
            self._fetch("before", before=(first.queue_key, first.id))

    # --- moving --------------------------------------------------------------------

    @property
    def _visible_rows(self) -> int:
        return max(1, self.size.height - 1)

    def _repaint(self, previous: tuple[int, int] | None = None) -> None:
        """Repaint two lines when only the cursor moved within the page, else everything."""
        if previous is not None and previous[0] == self.top:
            width = self.size.width
            self.refresh(
                Region(0, previous[1] - self.top + 1, width, 1),
                Region(0, self.cursor - self.top + 1, width, 1),
            )
        else:
            self.refresh()

    def _after_move(self, previous: tuple[int, int] | None = None) -> None:
        self.cursor = min(max(0, self.cursor), max(0, len(self.rows) - 1))
        visible = self._visible_rows
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + visible:
            self.top = self.cursor - visible + 1
        self.top = max(0, min(self.top, max(0, len(self.rows) - visible)))
        self._prefetch()
        self._repaint(previous)
        current = self.current
        current_id = current.id if current else None
        if current_id != self._highlighted:
            self._highlighted = current_id
            self.post_message(self.Highlighted(current, moved=previous is not None))

    def _move(self, delta: int) -> None:
        before = (self.top, self.cursor)
        self.cursor += delta
        self._after_move(previous=before)

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(self._visible_rows)

    def action_page_up(self) -> None:
        self._move(-self._visible_rows)

    def action_first(self) -> None:
        if self.more_before:
            self._generation += 1
            self._pending.clear()
            self.replacing = True
            self._fetch("reset")
        else:
            self._move(-self.cursor)

    def action_last(self) -> None:
        if self.more_after:
            self._generation += 1
            self._pending.clear()
            self.replacing = True
            self._fetch("end", before=LAST_KEY)
        else:
            self._move(len(self.rows))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)  # None on the border or padding
        if offset is not None and offset.y >= 1 and self.top + offset.y - 1 < len(self.rows):
            self._move(self.top + offset.y - 1 - self.cursor)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._move(SCROLL_ROWS)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._move(-SCROLL_ROWS)

    def on_resize(self) -> None:
        self._after_move()

    # --- drawing -------------------------------------------------------------------

    def _line(self, cells: tuple[str, ...], style: Style, width: int, accents: dict[int, Style] | None = None) -> Strip:
        segments = []
        widths = column_widths(width, current())
        for index, (size, text) in enumerate(zip(widths, cells, strict=True)):
            if not size:
                continue
            accent = accents.get(index) if accents else None
            segments.append(Segment(fit(text, size) + " ", style if accent is None else style + accent))
        used = sum(size + 1 for size in widths)
        if width > used:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments).crop(0, width)

    def notify_style_update(self) -> None:
        self._styles = None
        super().notify_style_update()

    def _style(self, name: str) -> Style:
        """Component styles, looked up once per style change instead of once per line."""
        if self._styles is None:
            base = self.rich_style
            self._styles = {"base": base}
            for component in self.COMPONENT_CLASSES:
                self._styles[component.removeprefix("lead-queue--")] = self.get_component_rich_style(component)
            self._styles["header"] = base + self._styles["header"]
            self._styles["cursor"] = base + self._styles["cursor"]
            self._styles["empty"] = base + self._styles["empty"]
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._style("base")
        if y == 0:
            return self._line(tuple(_(title) if title else "" for title in HEADER), self._style("header"), width)
        index = self.top + y - 1
        if index >= len(self.rows):
            if y == 1 and not self.rows:
                text = _("Loading…") if self.fetching else self.empty_text
                style = self._style("empty")
                return Strip([Segment(set_cell_size(" " + text, width), style)])
            return Strip.blank(width, base)
        row = self.rows[index]
        style = self._style("cursor") if index == self.cursor else base
        accents = {0: self._style("handraiser")}
        sla = self._sla(row)
        if sla is not None and sla.state is not SlaState.OK:
            accents[SLA_COLUMN] = self._style("overdue" if sla.state is SlaState.BREACHED else "soon")
        return self._line(row_cells(row, sla, sizes(current())[SLA_COLUMN] or 9), style, width, accents)

    def _sla(self, row: QueueRow) -> SlaStatus | None:
        """The row's SLA status as of the last fetch, worked out once per row."""
        key = (row.id, row.handed_over_at)
        if key not in self._sla_cache:
            if len(self._sla_cache) > 4 * BUFFER_ROWS:
                self._sla_cache.clear()
            self._sla_cache[key] = self.clock.status(Stage.MQL, row.handed_over_at, self._now)
        return self._sla_cache[key]
