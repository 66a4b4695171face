"""The inside-sales qualification checklist, derived from a lead's data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .models import Credit, Interest, LeadData

#: The agreed minimum of contact data a lead must carry to be worked.
AGREED_MINIMUM: tuple[str, ...] = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "job_title",
)

FIELD_LABELS = {
    "salutation": "salutation",
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "phone": "phone",
    "company": "company",
    "job_title": "job title",
}

#: Free-mail providers: a private address is a warning, never a rejection.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.de", "hotmail.com",
        "hotmail.de", "outlook.com", "live.com", "live.nl", "icloud.com", "me.com",
        "gmx.de", "gmx.net", "gmx.at", "web.de", "t-online.de", "freenet.de",
        "posteo.de", "mail.de", "ziggo.nl", "kpnmail.nl", "hetnet.nl", "planet.nl",
        "home.nl", "xs4all.nl", "protonmail.com", "proton.me", "aol.com",
    }
)

APPLICANT_WORDS = ("bewerbung", "sollicitatie", "job application", "internship", "praktikum", "stage aanvraag")


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    INFO = "info"


@dataclass(frozen=True)
class ChecklistItem:
    question: str
    answer: str
    verdict: Verdict


def missing_fields(lead: LeadData) -> list[str]:
    return [name for name in AGREED_MINIMUM if not getattr(lead, name)]


def seriousness_signals(lead: LeadData) -> list[str]:
    signals = []
    if lead.email and lead.email_domain in FREE_MAIL_DOMAINS:
        signals.append(f"webmail address ({lead.email_domain})")
    notes = lead.notes.casefold()
    if any(word in notes for word in APPLICANT_WORDS):
        signals.append("reads like a job application")
    return signals


def checklist(lead: LeadData) -> list[ChecklistItem]:
    missing = missing_fields(lead)
    signals = seriousness_signals(lead)
    activity = (
        f"{lead.emails_opened} opened, {lead.emails_clicked} clicked, "
        f"{lead.pages_visited} pages, {lead.forms_filled} forms"
    )
    return [
        ChecklistItem("channel", lead.channel.value.replace("_", " "), Verdict.INFO),
        ChecklistItem(
            "complete",
            "yes" if not missing else "missing " + ", ".join(FIELD_LABELS[f] for f in missing),
            Verdict.OK if not missing else Verdict.WARN,
        ),
        ChecklistItem(
            "serious",
            "no warning signs" if not signals else "; ".join(signals),
            Verdict.OK if not signals else Verdict.WARN,
        ),
        ChecklistItem(
            "creditworthy",
            "unknown" if lead.creditworthiness is Credit.UNKNOWN else f"rated {lead.creditworthiness.value}",
            {Credit.UNKNOWN: Verdict.INFO, Credit.A: Verdict.OK, Credit.B: Verdict.OK,
             Credit.C: Verdict.WARN, Credit.D: Verdict.BAD}[lead.creditworthiness],
        ),
        ChecklistItem("customer", "existing" if lead.existing_customer else "new", Verdict.INFO),
        ChecklistItem(
            "interest",
            {Interest.INQUIRY: "inquiry", Interest.QUOTE_REQUEST: "quote request",
             Interest.DEMO_REQUEST: "demo request (handraiser)"}[lead.interest],
            Verdict.OK if lead.interest is not Interest.INQUIRY else Verdict.INFO,
        ),
        ChecklistItem("activity", activity, Verdict.INFO),
    ]
