"""Import in the app, seen before it is done: the path, then what the import will make of
the file. Each column with the field it fills (a Select per column: any field, or keep
unmapped in the lead's `extra`), and the first rows as they will be stored, each rejected
row with its reason; changing a column's field reads the preview again.

Ctrl+S imports with the mapping shown; the dialog closes with an `ImportRequest` for the
app's import worker, or None (Escape). A path that cannot be read keeps what was typed and
says why under it. The head of the file is read in a worker, so a big file never blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Select, Static
from textual.widgets.select import InvalidSelectValueError

from triage.domain.errors import TriageError
from triage.files.import_preview import KEEP, Preview, preview
from triage.files.importing import CANONICAL
from triage.domain.rules import Rules
from triage.domain import language
from triage.domain.language import N_, _, counted
from triage.domain.text import one_line

from .measured_table import MeasuredTable
from .screen_commands import show_keys, speak_bindings

#: The Select value of a column the import leaves out by its name (a HubSpot owner, say).
LEFT_OUT = "-"


@dataclass(frozen=True)
class ImportRequest:
    path: Path
    mapping: dict[str, str]


def column_options(left_out: bool) -> list[tuple[str, str]]:
    options = [(_("keep unmapped (extra)"), KEEP), *((name, name) for name in CANONICAL)]
    return [(_("left out"), LEFT_OUT), *options] if left_out else options


class ImportDialog(ModalScreen[ImportRequest | None]):
    CSS_PATH = "import_dialog.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel")),
        Binding("ctrl+s", "import", N_("Import"), tooltip=N_("Import the file with the columns as shown")),
        Binding("f1", "help", N_("Help"), tooltip=N_("The keys of this dialog")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]

    def __init__(self, rules: Rules | None = None, path: str = "") -> None:
        super().__init__()
        speak_bindings(self)
        self.rules = rules
        self.path_text = path
        self.preview: Preview | None = None
        #: The columns the import leaves out by their names, for the file shown.
        self._left_out: set[str] = set()
        #: One Select per column of the file shown, in the order of its columns.
        self._selects: list[Select] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield Label(Text(_("Import leads from a file (CSV, JSON or XLSX)"), style="bold"))
            with Horizontal(id="import-path-line"):
                yield Label(_("File "), classes="field-label")
                yield Input(self.path_text, placeholder=_("path, e.g. ~/leads.csv, then Enter"), id="import-path",
                            compact=True)
            yield Static("", id="import-path-error", classes="field-error", markup=False)
            yield Static(Text(_("Enter reads the head of the file and shows what the import will do."), style="dim"),
                         id="import-summary", markup=False)
            yield VerticalScroll(id="import-columns")
            yield MeasuredTable(classes="import-rows", zebra_stripes=True, cursor_type="row")
            yield Static("", id="import-rejects", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-path-error").display = False
        self.query_one("#import-columns").display = False
        self.query_one(".import-rows").display = False
        self.query_one("#import-rejects").display = False
        self.query_one("#import-path", Input).focus()

    # --- reading the preview -----------------------------------------------------------

    def _path(self) -> Path | None:
        text = self.query_one("#import-path", Input).value.strip()
        return Path(text).expanduser() if text else None

    @on(Input.Submitted, "#import-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = self._path()
        if path is None:
            self._path_error(_("give the path of a file of leads"))
            return
        preview = self.preview
        self.load(path, dict(preview.mapping) if preview is not None and preview.path == path else {})

    @work(thread=True, exclusive=True, group="import-preview")
    def load(self, path: Path, mapping: dict[str, str]) -> None:
        try:
            shown = preview(path, mapping=mapping, rules=self.rules)
        except TriageError as exc:  # the path is right above: its name says which file
            self.app.call_from_thread(self._path_error, one_line(str(exc).replace(str(path), path.name)))
            return
        self.app.call_from_thread(self._show, shown)

    def _path_error(self, why: str) -> None:
        error = self.query_one("#import-path-error", Static)
        error.update(Text("↑ " + why))
        error.display = True
        self.query_one("#import-path", Input).focus()

    def _show(self, shown: Preview) -> None:
        new_file = self.preview is None or self.preview.path != shown.path or self.preview.headers != shown.headers
        if new_file:
            self._left_out = set(shown.left_out)
        self.preview = shown
        self.query_one("#import-path-error").display = False
        if new_file or not self._sync_columns(shown):
            self._build_columns(shown)
        self._show_summary(shown)
        self._show_rows(shown)

    def _sync_columns(self, shown: Preview) -> bool:
        """Each column's Select to what the preview says; False when one cannot show it."""
        for select, column in zip(self._selects, shown.headers, strict=True):
            if select.value != self._choice(shown, column):
                try:
                    select.value = self._choice(shown, column)
                except InvalidSelectValueError:
                    self._left_out.add(column)
                    return False
        return True

    def _choice(self, shown: Preview, column: str) -> str:
        return shown.choice(column) or LEFT_OUT

    def _build_columns(self, shown: Preview) -> None:
        box = self.query_one("#import-columns", VerticalScroll)
        box.remove_children()
        self._selects = [Select(column_options(column in self._left_out), value=self._choice(shown, column),
                                allow_blank=False, compact=True, classes="import-column-field")
                         for column in shown.headers]
        box.mount_all(
            Horizontal(Label(Text(one_line(column) or _("(column {number})").format(number=index + 1)), classes="import-column-name"), select,
                       classes="import-column")
            for index, (column, select) in enumerate(zip(shown.headers, self._selects, strict=True)))
        box.display = True

    def column_select(self, index: int) -> Select:
        """The Select of the file's `index`th column."""
        return self._selects[index]

    def _show_summary(self, shown: Preview) -> None:
        kind = shown.kind.upper()
        if shown.kind == "csv":
            kind += _(", {encoding}, delimiter {delimiter}").format(encoding=shown.encoding,
                                                                    delimiter=repr(shown.delimiter))
        parts = [counted(len(shown.headers), "{file} ({kind}): {count} column, {fields} to fields",
                         "{file} ({kind}): {count} columns, {fields} to fields", file=one_line(shown.path.name),
                         kind=kind, fields=len(shown.fields))]
        if shown.unmapped:
            parts.append(_("kept unmapped (in extra): {columns}").format(columns=one_line(", ".join(shown.unmapped))))
        if shown.left_out:
            parts.append(_("left out: {columns}").format(columns=one_line(", ".join(shown.left_out))))
        rows = len(shown.rows)
        head = (counted(rows, "The first {count} row", "The first {count} rows") if shown.more
                else counted(rows, "All {count} row", "All {count} rows"))
        text = Text("; ".join(parts) + ".\n" + _("{head} as stored: {stored} to import, {rejected} rejected. "
                                                 "Ctrl+S imports.").format(
            head=head, stored=language.number(rows - shown.rejected), rejected=language.number(shown.rejected)))
        if shown.problem:
            text = Text("✘ " + shown.problem + "\n", style="bold red") + text
        self.query_one("#import-summary", Static).update(text)

    def _show_rows(self, shown: Preview) -> None:
        # A fresh table each time: a DataTable cleared of its columns keeps the old widths.
        old = self.query_one(".import-rows", DataTable)
        table = MeasuredTable(classes="import-rows", zebra_stripes=True, cursor_type="row", fixed_columns=2)
        refocus = old.has_focus
        self.query_one("#import-box").mount(table, after=old)
        old.remove()
        if refocus:
            table.focus()
        fields = shown.shown_fields
        table.add_columns(_("line"), "", *fields, _("score"))
        for row in shown.rows:
            if row.error:
                table.add_row(str(row.line), Text(_("✘ rejected"), style="bold red"), *([""] * len(fields)), "")
            else:
                table.add_row(str(row.line), Text(_("✔ stored"), style="green"),
                              *(Text(one_line(row.values.get(name, ""))[:60]) for name in fields), str(row.score))
        table.display = True
        rejects = [_("✘ line {line} rejected: {why}").format(line=row.line, why=one_line(row.error))
                   for row in shown.rows if row.error]
        box = self.query_one("#import-rejects", Static)
        box.update(Text("\n".join(rejects), style="red") if rejects else "")
        box.display = bool(rejects)

    @on(Select.Changed)
    def _column_changed(self, event: Select.Changed) -> None:
        shown = self.preview
        if shown is None or event.select not in self._selects:
            return
        column = shown.headers[self._selects.index(event.select)]
        if event.value == self._choice(shown, column):
            return  # the preview set it
        if event.value == LEFT_OUT:
            mapping = {key: value for key, value in shown.mapping.items() if key != column}
        else:
            mapping = shown.with_choice(column, str(event.value))
        self.load(shown.path, mapping)

    # --- importing ---------------------------------------------------------------------

    def action_import(self) -> None:
        path, shown = self._path(), self.preview
        if path is None:
            self._path_error(_("give the path of a file of leads"))
        elif shown is None or shown.path != path:
            self.query_one("#import-summary", Static).update(
                Text(_("Reading {file}: first the preview, then Ctrl+S imports.").format(file=one_line(path.name)),
                     style="italic"))
            self.load(path, {})
        elif shown.problem:
            self.notify(shown.problem, title=_("Not imported"), severity="error", markup=False, timeout=8)
        else:
            self.dismiss(ImportRequest(shown.path, dict(shown.mapping)))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        show_keys(self)
