"""Every screen and dialog compared with its stored capture, at 80x24 and 128x34.

A difference fails with the capture's name and a diff. When a screen changed on purpose,
`TRIAGE_CAPTURES=rewrite .venv/bin/python -m pytest tests/test_captures.py` (or
`.venv/bin/python tests/screen_captures.py`, which also rewrites the README's) stores the
new captures; review them with `git diff tests/captures`.
"""

from __future__ import annotations

import difflib
import os

import pytest
from screen_captures import (
    ENV_VAR, README, SCENARIOS, SIZES, capture_all, capture_path, fixed_world, readme_with, seed,
)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_every_screen_looks_as_captured(tmp_path, size):
    with fixed_world(tmp_path):
        shots = await capture_all(seed(tmp_path), size)
    assert list(shots) == list(SCENARIOS)
    rewrite = os.environ.get(ENV_VAR) == "rewrite"
    differ = []
    for name, shot in shots.items():
        path = capture_path(name, size)
        if rewrite:
            path.write_text(shot, encoding="utf-8")
            continue
        stored = path.read_text(encoding="utf-8") if path.exists() else ""
        if shot != stored:
            differ.append("".join(difflib.unified_diff(
                stored.splitlines(keepends=True), shot.splitlines(keepends=True), f"stored {path.name}", "now")))
    assert not differ, f"{len(differ)} screens differ from their captures ({ENV_VAR}=rewrite stores them):\n" + \
        "\n".join(differ)


def test_the_readmes_capture_is_the_stored_one():
    stored = capture_path("queue", (128, 34)).read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    assert readme_with(stored, readme) == readme, "README.md's capture is not tests/captures/queue-128x34.txt: " \
        "run .venv/bin/python tests/screen_captures.py"
