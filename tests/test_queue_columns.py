"""The queue's columns hold their headings and SLA texts whole, in every language."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from rich.cells import cell_len

from screens.lead_queue import COLUMNS, SLA_COLUMN, column_widths, fit, sizes
from triage.domain import language
from triage.domain.sla import SlaState, SlaStatus

DUE = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("code", language.LANGUAGES)
def test_the_sla_column_holds_every_sla_text_whole(code):
    with language.speaking(code):
        texts = [SlaStatus(DUE, hours, state).short() for hours in (99.0, 12.0, 0.5)
                 for state in (SlaState.OK, SlaState.BREACHED)]
        for width in (43, 80, 128):
            size = column_widths(width, code)[SLA_COLUMN]
            assert all(fit(text, size) == text.ljust(size) for text in texts), (code, width, texts)


def test_the_sla_cell_is_short_in_german_and_dutch():
    with language.speaking("de"):
        assert SlaStatus(DUE, -4.2, SlaState.BREACHED).short() == "4 h zu spät"
        assert SlaStatus(DUE, 0.5, SlaState.OK).short() == "noch <1 h"
        assert SlaStatus(DUE, -4.2, SlaState.BREACHED).text() == "4 Std. überfällig"
    with language.speaking("nl"):
        assert SlaStatus(DUE, 16, SlaState.OK).short() == "nog 16 u"
    assert SlaStatus(DUE, -4.2, SlaState.BREACHED).short() == "4h over"


@pytest.mark.parametrize("code", language.LANGUAGES)
def test_every_fixed_column_holds_its_heading(code):
    with language.speaking(code):
        for (title, size), width in zip(COLUMNS, sizes(code)):
            if title and size is not None:
                assert width >= cell_len(language._(title)), (code, title)
