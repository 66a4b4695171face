"""The rep's two queues and a page of one, as storage hands them to the services."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from triage.domain.models import QueueRow
from triage.domain.queue_order import LAST_KEY

__all__ = ["COUNT_AT_MOST", "LAST_KEY", "PAGE_ROWS", "QueuePage", "QueueView"]

#: Leads read in one page of a queue.
PAGE_ROWS = 100
#: A queue is counted up to this many leads, then shown as "1,000+": an exact count of a
#: million leads takes seconds and grows with the database.
COUNT_AT_MOST = 1000


class QueueView(StrEnum):
    MINE = "mine"
    POOL = "pool"


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    #: True when more rows follow the last one (or precede the first, for a backward page).
    more: bool
