"""A DataTable that redraws its rows once it has measured its columns."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class MeasuredTable(DataTable[RenderableType]):
    """Textual's DataTable widens its columns to their cells only when idle, but keeps the rows it
    drew before in its caches, so a table filled between two frames stays drawn at its headings'
    widths ("Chr" for "Christian Fleming") until its cursor moves (textual#3533). This one drops
    those rows once its columns are measured."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()
        self.refresh()
