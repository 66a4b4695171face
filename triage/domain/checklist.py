"""The inside-sales qualification checklist: answers derived from a lead's data, and the
rep's confirmations and overrides on top of them.

What counts as webmail, a competitor, a served country or an existing customer is
configured in the rules (`triage.domain.rules.ChecklistConfig`), not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from triage.domain.errors import TriageError
from triage.domain.models import Channel, Credit, Interest, LeadData
from triage.domain.rules import Activity, ChecklistConfig, CustomerKind, Rules, Signal, default_rules
from triage.domain.text import counted

FIELD_LABELS = {
    "salutation": "salutation",
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "phone": "phone",
    "company": "company",
    "job_title": "job title",
    "country": "country",
}

INTEREST_LABELS = {
    Interest.INQUIRY: "inquiry",
    Interest.QUOTE_REQUEST: "quote request",
    Interest.DEMO_REQUEST: "demo request (handraiser)",
}


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    INFO = "info"


class Question(StrEnum):
    CHANNEL = "channel"
    COMPLETE = "complete"
    SERIOUS = "serious"
    CREDITWORTHY = "creditworthy"
    CUSTOMER = "customer"
    INTEREST = "interest"
    ACTIVITY = "activity"


#: What a rep may set each answer to: (code, label). Activity comes from marketing
#: automation and is not the rep's to change; the grade is the rep's own judgement.
CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    Question.CHANNEL: tuple((channel.value, channel.value.replace("_", " ")) for channel in Channel),
    Question.COMPLETE: (("yes", "complete: the missing data is known"),),
    Question.SERIOUS: (("yes", "no warning signs"),)
    + tuple((signal.value, signal.label) for signal in Signal),
    Question.CREDITWORTHY: tuple(
        (credit.value, "unknown" if credit is Credit.UNKNOWN else f"rated {credit.value}") for credit in Credit
    ),
    Question.CUSTOMER: (("new", "new customer"), ("existing", "existing customer")),
    Question.INTEREST: tuple((interest.value, INTEREST_LABELS[interest]) for interest in Interest),
}
GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Answers:
    """The checklist's answers for one lead: what scoring and learning work from."""

    channel: Channel
    missing: tuple[str, ...]
    signals: tuple[Signal, ...]
    credit: Credit
    customer: CustomerKind
    interest: Interest
    activity: dict[Activity, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChecklistItem:
    question: str
    answer: str
    verdict: Verdict
    #: "derived" from the data, "confirmed" by a rep, or "set by rep" (then `derived`
    #: says what the data said).
    source: str = "derived"
    derived: str = ""


def missing_fields(lead: LeadData, config: ChecklistConfig | None = None) -> list[str]:
    config = config or default_rules().checklist
    return [name for name in config.agreed_minimum if not getattr(lead, name)]


def signals(lead: LeadData, config: ChecklistConfig | None = None) -> list[Signal]:
    """The seriousness warnings in a lead's data, in a fixed order."""
    config = config or default_rules().checklist
    found = []
    domain = lead.email_domain if lead.email else ""
    if domain and _matches(domain, config.free_mail_domains):
        found.append(Signal.WEBMAIL)
    if domain and _matches(domain, config.disposable_domains):
        found.append(Signal.DISPOSABLE)
    if domain and _matches(domain, config.competitor_domains):
        found.append(Signal.COMPETITOR)
    if lead.country and config.served_countries and lead.country not in config.served_countries:
        found.append(Signal.COUNTRY_NOT_SERVED)
    notes = lead.notes.casefold()
    if any(word in notes for word in config.applicant_words):
        found.append(Signal.JOB_APPLICANT)
    return found


def _matches(domain: str, domains: frozenset[str]) -> bool:
    """`domain` is in `domains`, or a subdomain of one (mail.acme.de of acme.de)."""
    parts = domain.split(".")
    return any(".".join(parts[index:]) in domains for index in range(len(parts) - 1))


def is_existing_customer(lead: LeadData, config: ChecklistConfig | None = None) -> bool:
    """Flagged by marketing, or mailing from a configured customer domain."""
    config = config or default_rules().checklist
    return lead.existing_customer or bool(lead.email and _matches(lead.email_domain, config.customer_domains))


def seriousness_signals(lead: LeadData, config: ChecklistConfig | None = None) -> list[str]:
    """The warnings as the rep reads them."""
    config = config or default_rules().checklist
    return [_signal_text(signal, lead) for signal in signals(lead, config)]


def _signal_text(signal: Signal, lead: LeadData) -> str:
    if signal is Signal.WEBMAIL:
        return f"webmail address ({lead.email_domain})"
    if signal is Signal.DISPOSABLE:
        return f"disposable address ({lead.email_domain})"
    if signal is Signal.COMPETITOR:
        return f"competitor ({lead.email_domain})"
    if signal is Signal.COUNTRY_NOT_SERVED:
        return f"country not served ({lead.country})"
    return "reads like a job application"


def derived_answers(lead: LeadData, config: ChecklistConfig | None = None) -> Answers:
    config = config or default_rules().checklist
    return Answers(
        channel=lead.channel,
        missing=tuple(missing_fields(lead, config)),
        signals=tuple(signals(lead, config)),
        credit=lead.creditworthiness,
        customer="existing" if is_existing_customer(lead, config) else "new",
        interest=lead.interest,
        activity={activity: getattr(lead, activity.value) for activity in Activity},
    )


def check_override(question: str, value: str | None) -> None:
    """Refuse an answer a rep cannot give; None takes an override back."""
    if question not in CHOICES:
        settable = ", ".join(CHOICES)
        raise TriageError(f"the rep does not set '{question}'; answers a rep can set: {settable}")
    if value is not None and value not in {code for code, _ in CHOICES[question]}:
        codes = ", ".join(code for code, _ in CHOICES[question])
        raise TriageError(f"'{value}' is not an answer to '{question}'; use one of: {codes}")


def answers(lead: LeadData, rules: Rules | None = None, overrides: dict[str, str] | None = None) -> Answers:
    """The derived answers with the rep's overrides applied."""
    derived = derived_answers(lead, (rules or default_rules()).checklist)
    overrides = getattr(lead, "overrides", {}) if overrides is None else overrides
    changes: dict[str, object] = {}
    for question, value in overrides.items():
        if question == Question.CHANNEL:
            changes["channel"] = Channel(value)
        elif question == Question.COMPLETE:
            changes["missing"] = ()
        elif question == Question.SERIOUS:
            changes["signals"] = () if value == "yes" else (Signal(value),)
        elif question == Question.CREDITWORTHY:
            changes["credit"] = Credit(value)
        elif question == Question.CUSTOMER:
            changes["customer"] = value
        elif question == Question.INTEREST:
            changes["interest"] = Interest(value)
    return Answers(**{**derived.__dict__, **changes}) if changes else derived


def _texts(lead: LeadData, given: Answers, derived: Answers) -> dict[Question, tuple[str, Verdict]]:
    missing = given.missing
    activity = given.activity
    signal_texts = [
        _signal_text(signal, lead) if signal in derived.signals else SIGNAL_TEXT_SET[signal]
        for signal in given.signals
    ]
    return {
        Question.CHANNEL: (given.channel.value.replace("_", " "), Verdict.INFO),
        Question.COMPLETE: (
            "yes" if not missing else "missing " + _listed([FIELD_LABELS[name] for name in missing]),
            Verdict.OK if not missing else Verdict.WARN,
        ),
        Question.SERIOUS: (
            "no warning signs" if not given.signals else "; ".join(signal_texts),
            Verdict.OK if not given.signals else Verdict.WARN,
        ),
        Question.CREDITWORTHY: (
            "unknown" if given.credit is Credit.UNKNOWN else f"rated {given.credit.value}",
            {Credit.UNKNOWN: Verdict.INFO, Credit.A: Verdict.OK, Credit.B: Verdict.OK,
             Credit.C: Verdict.WARN, Credit.D: Verdict.BAD}[given.credit],
        ),
        Question.CUSTOMER: (given.customer, Verdict.INFO),
        Question.INTEREST: (
            INTEREST_LABELS[given.interest],
            Verdict.OK if given.interest is not Interest.INQUIRY else Verdict.INFO,
        ),
        Question.ACTIVITY: (_activity_text(activity), Verdict.INFO),
    }


def _listed(names: list[str]) -> str:
    """"phone", "phone and job title", "salutation, phone and job title"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _activity_text(activity: dict[Activity, int]) -> str:
    """"6 emails opened, 6 clicked, 3 buying pages visited, 1 form filled": the counts as
    marketing recorded them (the score's breakdown says how many of them count)."""
    opened, clicked = activity[Activity.EMAILS_OPENED], activity[Activity.EMAILS_CLICKED]
    pages, forms = activity[Activity.PAGES_VISITED], activity[Activity.FORMS_FILLED]
    if not any((opened, clicked, pages, forms)):
        return "none recorded"
    return (f"{counted(opened, 'email')} opened, {clicked} clicked, "
            f"{counted(pages, 'buying page')} visited, {counted(forms, 'form')} filled")


#: A warning sign the rep set that the data does not show (the item says "set by rep").
SIGNAL_TEXT_SET = {
    Signal.WEBMAIL: "webmail address",
    Signal.DISPOSABLE: "disposable address",
    Signal.COMPETITOR: "competitor",
    Signal.COUNTRY_NOT_SERVED: "country not served",
    Signal.JOB_APPLICANT: "reads like a job application",
}


def checklist(lead: LeadData, rules: Rules | None = None) -> list[ChecklistItem]:
    """The checklist as the rep reads it, each answer marked derived, confirmed or set."""
    rules = rules or default_rules()
    derived = derived_answers(lead, rules.checklist)
    overrides: dict[str, str] = getattr(lead, "overrides", {})
    given = answers(lead, rules, overrides)
    derived_texts = _texts(lead, derived, derived)
    given_texts = _texts(lead, given, derived)
    items = []
    for question in Question:
        answer, verdict = given_texts[question]
        if question not in overrides:
            items.append(ChecklistItem(question.value, answer, verdict))
        elif answer == derived_texts[question][0]:
            items.append(ChecklistItem(question.value, answer, verdict, source="confirmed"))
        else:
            items.append(
                ChecklistItem(question.value, answer, verdict, source="set by rep", derived=derived_texts[question][0])
            )
    return items
