"""The rep's two queues and a page of one, as storage hands them to the services."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from triage.domain.models import QueueRow
from triage.domain.queue_order import LAST_KEY

__all__ = ["LAST_KEY", "QueuePage", "QueueView"]


class QueueView(StrEnum):
    MINE = "mine"
    POOL = "pool"


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    #: True when more rows follow the last one (or precede the first, for a backward page).
    more: bool
