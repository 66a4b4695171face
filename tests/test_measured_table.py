"""Tables widen to their cells even when a frame was drawn before they measured them."""

from __future__ import annotations

import ast
from pathlib import Path

from screen_lines import terminal_lines
from textual.app import App, ComposeResult

from screens.measured_table import MeasuredTable

SCREENS = Path(__file__).resolve().parent.parent / "screens"


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield MeasuredTable()

    def on_mount(self) -> None:
        self.query_one(MeasuredTable).add_columns("rep", "open")


async def test_a_row_drawn_before_the_table_measured_it_is_redrawn_at_full_width():
    app = OneTable()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(MeasuredTable)
        table.add_row("Christian Fleming", "3")
        table.render_line(1)  # its row drawn in a frame before the table was idle
        while table._require_update_dimensions or app.screen._dirty_widgets:
            await pilot.pause(0.01)
        await pilot.pause()
        assert terminal_lines(app)[1].split() == ["Christian", "Fleming", "3"]


def test_no_screen_uses_a_plain_data_table():
    plain = [f"{path.name}:{node.lineno}" for path in sorted(SCREENS.glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DataTable"]
    assert plain == []
