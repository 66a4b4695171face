"""A first, fixed points model for the lead score (0 to 100)."""

from __future__ import annotations

from .checklist import missing_fields, seriousness_signals
from .models import Credit, Interest, LeadData

INTEREST_POINTS = {Interest.INQUIRY: 5, Interest.QUOTE_REQUEST: 20, Interest.DEMO_REQUEST: 30}
CREDIT_POINTS = {Credit.UNKNOWN: 0, Credit.A: 10, Credit.B: 5, Credit.C: -5, Credit.D: -15}


def score(lead: LeadData) -> int:
    points = 20 + INTEREST_POINTS[lead.interest] + CREDIT_POINTS[lead.creditworthiness]
    points += min(lead.emails_opened, 10) + 2 * min(lead.emails_clicked, 5)
    points += 3 * min(lead.pages_visited, 5) + 5 * min(lead.forms_filled, 2)
    points += 5 if lead.existing_customer else 0
    points -= 3 * len(missing_fields(lead))
    points -= 10 * len(seriousness_signals(lead))
    return max(0, min(100, points))
