"""The live hand-over agreed with marketing (seed 004): which activity signals hand a lead
to sales at once, and what they do to the lead's activity counts.

Sales is told at once when a lead finishes its nurture series (N of its mails opened or
clicked), visits a buying page (pricing, case studies, services), or asks for a demo or an
audit. Then a new lead becomes an MQL, a nurtured (returned) lead comes back to sales as
an MQL, and a demo or audit request makes it a handraiser; a disqualified lead stays so.
Plain rules over plain values: the caller reads and stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from triage.domain.models import Interest, Lead, Stage, utcnow
from triage.domain.rules import Handover

SignalType = Literal["email_opened", "email_clicked", "page_viewed", "form_submitted", "demo_requested",
                     "audit_requested"]
MAIL_SIGNALS = ("email_opened", "email_clicked")


class ActivitySignal(BaseModel):
    """One thing a lead did, as marketing automation reports it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(default="", max_length=320)
    external_id: str = Field(default="", max_length=255)
    type: SignalType
    #: The mail (its id or link) opened or clicked, the page viewed, the form sent.
    url: str = Field(default="", max_length=2000)
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A time without a zone is UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value

    @model_validator(mode="after")
    def _names_a_lead(self) -> "ActivitySignal":
        if not self.email and not self.external_id:
            raise ValueError("a signal names its lead by email or external_id")
        return self

    def shown(self) -> str:
        return f"{self.type} {self.url}".strip()


@dataclass
class SignalOutcome:
    """What the signals of one lead do to it."""

    #: New values of the lead's activity counts and interest.
    changes: dict[str, object] = field(default_factory=dict)
    #: The trigger that fired ("nurture finished: 3 mails opened or clicked"), if one did.
    trigger: str = ""
    #: The signals that fired it, as shown in the lead's history.
    fired_by: list[str] = field(default_factory=list)
    #: The stage the lead moves to, if the trigger moves it.
    to_stage: Stage | None = None


def is_buying_page(url: str, rules: Handover) -> bool:
    address = url.casefold()
    return any(pattern in address for pattern in rules.buying_pages)


def apply_signals(lead: Lead, signals: list[ActivitySignal], mails_seen: set[str], rules: Handover) -> SignalOutcome:
    """The effect of `signals` on `lead`, given the nurture mails it opened or clicked
    before (`mails_seen`, by mail id or link)."""
    outcome = SignalOutcome()
    counts = {name: getattr(lead, name) for name in ("emails_opened", "emails_clicked", "pages_visited",
                                                     "forms_filled")}
    mails = set(mails_seen)
    nurture_before = len(mails) >= rules.nurture_mails
    fired: list[tuple[str, list[str]]] = []
    for number, signal in enumerate(signals):
        if signal.type == "email_opened":
            counts["emails_opened"] += 1
        elif signal.type == "email_clicked":
            counts["emails_clicked"] += 1
        elif signal.type == "form_submitted":
            counts["forms_filled"] += 1
        elif signal.type == "page_viewed" and is_buying_page(signal.url, rules):
            counts["pages_visited"] += 1
            if rules.on_buying_page:
                fired.append((f"buying page {signal.url}", [signal.shown()]))
        elif signal.type in ("demo_requested", "audit_requested"):
            if lead.interest is not Interest.DEMO_REQUEST:
                outcome.changes["interest"] = Interest.DEMO_REQUEST
            if rules.on_demo_or_audit:
                what = "demo" if signal.type == "demo_requested" else "audit"
                fired.append((f"{what} requested", [signal.shown()]))
        if signal.type in MAIL_SIGNALS:
            mails.add(signal.url or f"#{len(mails_seen)}-{number}")
            if not nurture_before and len(mails) >= rules.nurture_mails:
                nurture_before = True
                mail_signals = [each.shown() for each in signals[: number + 1] if each.type in MAIL_SIGNALS]
                fired.append((f"nurture finished: {len(mails)} mails opened or clicked", mail_signals))
    outcome.changes |= {name: value for name, value in counts.items() if value != getattr(lead, name)}
    if fired:
        requests = [entry for entry in fired if entry[0].endswith("requested")]
        outcome.trigger, outcome.fired_by = (requests or fired)[0]
        if lead.stage in (Stage.NEW, Stage.RETURNED):
            outcome.to_stage = Stage.MQL
    return outcome


def signal_time(signal: ActivitySignal) -> datetime:
    """When it happened, never in the future."""
    now = utcnow()
    return now if signal.at is None or signal.at > now else signal.at
