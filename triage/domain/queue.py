"""The rep's two queues and a page of one, as storage hands them to the services."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from triage.domain.models import QueueRow

#: A queue position after every real one: `queue_page(before=LAST_KEY)` gives the last page.
LAST_KEY: tuple[str, int] = ("~", 0)


class QueueView(StrEnum):
    MINE = "mine"
    POOL = "pool"


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    #: True when more rows follow the last one (or precede the first, for a backward page).
    more: bool
