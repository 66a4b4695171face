"""The inside-sales qualification checklist: answers derived from a lead's data, and the
rep's confirmations and overrides on top of them.

What counts as webmail, a competitor, a served country or an existing customer is
configured in the rules (`triage.domain.rules.ChecklistConfig`), not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from triage.domain.errors import TriageError
from triage.domain.language import N_, _, ngettext, number
from triage.domain.models import CHANNEL_LABELS, Channel, Credit, Interest, LeadData
from triage.domain.rules import SIGNAL_LABELS, Activity, ChecklistConfig, CustomerKind, Rules, Signal, default_rules

#: The fields of a lead's contact data, as a person names them (marked here, translated where shown).
FIELD_LABELS = {
    "salutation": N_("salutation"),
    "first_name": N_("first name"),
    "last_name": N_("last name"),
    "email": N_("email"),
    "phone": N_("phone"),
    "company": N_("company"),
    "job_title": N_("job title"),
    "country": N_("country"),
}

#: The interest as the checklist answers it (marked here, translated where shown).
INTEREST_LABELS = {
    Interest.INQUIRY: N_("inquiry"),
    Interest.QUOTE_REQUEST: N_("quote request"),
    Interest.DEMO_REQUEST: N_("demo request (handraiser)"),
}


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    INFO = "info"

    @property
    def label(self) -> str:
        return _(VERDICT_LABELS[self])


VERDICT_LABELS = {Verdict.OK: N_("ok"), Verdict.WARN: N_("warning"), Verdict.BAD: N_("bad"), Verdict.INFO: N_("info")}


class Question(StrEnum):
    CHANNEL = "channel"
    COMPLETE = "complete"
    SERIOUS = "serious"
    CREDITWORTHY = "creditworthy"
    CUSTOMER = "customer"
    INTEREST = "interest"
    ACTIVITY = "activity"

    @property
    def label(self) -> str:
        """The question in a word, as the lead's detail lists it: "channel", "Kanal"."""
        return _(QUESTION_LABELS[self])

    @property
    def text(self) -> str:
        """The question as the checklist asks it."""
        return _(QUESTION_TEXTS[self])


QUESTION_LABELS = {
    Question.CHANNEL: N_("channel"),
    Question.COMPLETE: N_("complete"),
    Question.SERIOUS: N_("serious"),
    Question.CREDITWORTHY: N_("creditworthy"),
    Question.CUSTOMER: N_("customer"),
    Question.INTEREST: N_("interest"),
    Question.ACTIVITY: N_("activity"),
}
QUESTION_TEXTS = {
    Question.CHANNEL: N_("Through which channel did the lead come?"),
    Question.COMPLETE: N_("Are the contact details complete?"),
    Question.SERIOUS: N_("Is the lead serious?"),
    Question.CREDITWORTHY: N_("Is the company creditworthy?"),
    Question.CUSTOMER: N_("New or existing customer?"),
    Question.INTEREST: N_("How high is the interest?"),
    Question.ACTIVITY: N_("What has the lead done so far?"),
}

#: Where an answer comes from: `ChecklistItem.source` is the code, this what a person reads.
SOURCE_LABELS = {"derived": N_("derived"), "confirmed": N_("confirmed"), "set by rep": N_("set by rep")}

#: What a rep may set each answer to: (code, label), the label in English and marked; show
#: it with `choices(question)`, which translates. Activity comes from marketing automation
#: and is not the rep's to change; the grade is the rep's own judgement.
CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    Question.CHANNEL: tuple((channel.value, CHANNEL_LABELS[channel]) for channel in Channel),
    Question.COMPLETE: (("yes", N_("complete: the missing data is known")),),
    Question.SERIOUS: (("yes", N_("no warning signs")),)
    + tuple((signal.value, SIGNAL_LABELS[signal]) for signal in Signal),
    Question.CREDITWORTHY: (
        (Credit.UNKNOWN.value, N_("unknown")), (Credit.A.value, N_("rated A")), (Credit.B.value, N_("rated B")),
        (Credit.C.value, N_("rated C")), (Credit.D.value, N_("rated D")),
    ),
    Question.CUSTOMER: (("new", N_("new customer")), ("existing", N_("existing customer"))),
    Question.INTEREST: tuple((interest.value, INTEREST_LABELS[interest]) for interest in Interest),
}
GRADES = ("A", "B", "C", "D")


def choices(question: str) -> tuple[tuple[str, str], ...]:
    """What a rep may set `question` to: (code, label), the label in the language in use."""
    return tuple((code, _(label)) for code, label in CHOICES[question])


class Answers(NamedTuple):
    """The checklist's answers for one lead: what scoring and learning work from."""

    channel: Channel
    missing: tuple[str, ...]
    signals: tuple[Signal, ...]
    credit: Credit
    customer: CustomerKind
    interest: Interest
    activity: dict[Activity, int] = {}


@dataclass(frozen=True)
class ChecklistItem:
    question: str
    answer: str
    verdict: Verdict
    #: "derived" from the data, "confirmed" by a rep, or "set by rep" (then `derived`
    #: says what the data said).
    source: str = "derived"
    derived: str = ""

    @property
    def label(self) -> str:
        """The question in a word, in the language in use ("channel", "Kanal")."""
        return Question(self.question).label

    @property
    def source_label(self) -> str:
        """Where the answer comes from, in the language in use ("set by rep", "vom Vertrieb gesetzt")."""
        return _(SOURCE_LABELS[self.source])


#: What the checklist's answers are derived from, in this order, before the fields of the
#: agreed minimum (`CompiledChecklist.fields`).
DERIVED_FROM = ("channel", "interest", "creditworthiness", "email", "existing_customer", "country", "notes")
ACTIVITIES = tuple(Activity)
_CHANNELS = {channel.value: channel for channel in Channel}
_INTERESTS = {interest.value: interest for interest in Interest}
_CREDITS = {credit.value: credit for credit in Credit}


class CompiledChecklist:
    """The checklist's configuration compiled once: the answers of a lead derived from
    the values of `fields`, in that order (a `LeadData`'s, an import's row, a stored
    lead's columns alike). The one derivation of the answers; `derived_answers` is it
    for one lead."""

    def __init__(self, config: ChecklistConfig) -> None:
        self.config = config
        self.minimum = tuple(config.agreed_minimum)
        self.fields: tuple[str, ...] = (*DERIVED_FROM, *self.minimum, *(activity.value for activity in ACTIVITIES))
        self._first_minimum = len(DERIVED_FROM)
        self._first_activity = len(DERIVED_FROM) + len(self.minimum)
        self._served = config.served_countries
        self._applicant = (re.compile("|".join(re.escape(word) for word in config.applicant_words))
                           if config.applicant_words else None)
        self._domains: dict[str, tuple[tuple[Signal, ...], bool]] = {}
        self._pick = itemgetter(*self.fields)

    def domain(self, domain: str) -> tuple[tuple[Signal, ...], bool]:
        """The warnings a mail domain raises, in a fixed order, and whether it is a customer's."""
        known = self._domains.get(domain)
        if known is None:
            config = self.config
            found = tuple(signal for signal, domains in (
                (Signal.WEBMAIL, config.free_mail_domains), (Signal.DISPOSABLE, config.disposable_domains),
                (Signal.COMPETITOR, config.competitor_domains)) if domain and _matches(domain, domains))
            known = (found, bool(domain) and _matches(domain, config.customer_domains))
            if len(self._domains) < 200_000:
                self._domains[domain] = known
        return known

    def derive(self, values: tuple | list) -> Answers:
        """The answers the data gives, from the values of `fields` (enums or their values)."""
        channel, interest, credit, email, existing, country, notes = values[:7]
        if email:
            domain = email.rpartition("@")[2].lower()
            found, customer_domain = self._domains.get(domain) or self.domain(domain)
        else:
            found, customer_domain = (), False
        if country and self._served and country not in self._served:
            found = (*found, Signal.COUNTRY_NOT_SERVED)
        if notes and self._applicant is not None and self._applicant.search(notes.casefold()):
            found = (*found, Signal.JOB_APPLICANT)
        given = values[self._first_minimum:self._first_activity]
        missing = () if all(given) else tuple(name for name, value in zip(self.minimum, given) if not value)
        return Answers(_CHANNELS[channel], missing, found, _CREDITS[credit],
                       "existing" if existing or customer_domain else "new", _INTERESTS[interest],
                       dict(zip(ACTIVITIES, values[self._first_activity:])))

    def values(self, lead: LeadData | dict[str, Any]) -> tuple:
        """The values of `fields` of a lead, or of a dict of its fields."""
        return self._pick(lead if isinstance(lead, dict) else lead.__dict__)


@lru_cache(maxsize=32)
def compiled(config: ChecklistConfig) -> CompiledChecklist:
    return CompiledChecklist(config)


def missing_fields(lead: LeadData, config: ChecklistConfig | None = None) -> list[str]:
    return list(derived_answers(lead, config).missing)


def signals(lead: LeadData, config: ChecklistConfig | None = None) -> list[Signal]:
    """The seriousness warnings in a lead's data, in a fixed order."""
    return list(derived_answers(lead, config).signals)


def _matches(domain: str, domains: frozenset[str]) -> bool:
    """`domain` is in `domains`, or a subdomain of one (mail.acme.de of acme.de)."""
    parts = domain.split(".")
    return any(".".join(parts[index:]) in domains for index in range(len(parts) - 1))


def is_existing_customer(lead: LeadData, config: ChecklistConfig | None = None) -> bool:
    """Flagged by marketing, or mailing from a configured customer domain."""
    return derived_answers(lead, config).customer == "existing"


def seriousness_signals(lead: LeadData, config: ChecklistConfig | None = None) -> list[str]:
    """The warnings as the rep reads them."""
    return [_signal_text(signal, lead) for signal in signals(lead, config)]


def _signal_text(signal: Signal, lead: LeadData) -> str:
    if signal is Signal.WEBMAIL:
        return _("webmail address ({domain})").format(domain=lead.email_domain)
    if signal is Signal.DISPOSABLE:
        return _("disposable address ({domain})").format(domain=lead.email_domain)
    if signal is Signal.COMPETITOR:
        return _("competitor ({domain})").format(domain=lead.email_domain)
    if signal is Signal.COUNTRY_NOT_SERVED:
        return _("country not served ({country})").format(country=lead.country)
    return _("reads like a job application")


def derived_answers(lead: LeadData, config: ChecklistConfig | None = None) -> Answers:
    checker = compiled(config or default_rules().checklist)
    return checker.derive(checker.values(lead))


def check_override(question: str, value: str | None) -> None:
    """Refuse an answer a rep cannot give; None takes an override back."""
    if question not in CHOICES:
        settable = ", ".join(CHOICES)
        raise TriageError(_("the rep does not set '{question}'; answers a rep can set: {settable}").format(
            question=question, settable=settable))
    if value is not None and value not in {code for code, _label in CHOICES[question]}:
        codes = ", ".join(code for code, _label in CHOICES[question])
        raise TriageError(_("'{value}' is not an answer to '{question}'; use one of: {codes}").format(
            value=value, question=question, codes=codes))


def with_overrides(derived: Answers, overrides: dict[str, str]) -> Answers:
    """The derived answers with the rep's overrides applied."""
    if not overrides:
        return derived
    changes: dict[str, Any] = {}
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
    return derived._replace(**changes) if changes else derived


def answers(lead: LeadData, rules: Rules | None = None, overrides: dict[str, str] | None = None) -> Answers:
    """The derived answers with the rep's overrides applied."""
    derived = derived_answers(lead, (rules or default_rules()).checklist)
    return with_overrides(derived, getattr(lead, "overrides", {}) if overrides is None else overrides)


def _texts(lead: LeadData, given: Answers, derived: Answers) -> dict[Question, tuple[str, Verdict]]:
    missing = given.missing
    activity = given.activity
    signal_texts = [
        _signal_text(signal, lead) if signal in derived.signals else _(SIGNAL_TEXT_SET[signal])
        for signal in given.signals
    ]
    return {
        Question.CHANNEL: (given.channel.label, Verdict.INFO),
        Question.COMPLETE: (
            _("yes") if not missing else _("missing {fields}").format(
                fields=_listed([_(FIELD_LABELS[name]) for name in missing])),
            Verdict.OK if not missing else Verdict.WARN,
        ),
        Question.SERIOUS: (
            _("no warning signs") if not given.signals else "; ".join(signal_texts),
            Verdict.OK if not given.signals else Verdict.WARN,
        ),
        Question.CREDITWORTHY: (
            given.credit.label,
            {Credit.UNKNOWN: Verdict.INFO, Credit.A: Verdict.OK, Credit.B: Verdict.OK,
             Credit.C: Verdict.WARN, Credit.D: Verdict.BAD}[given.credit],
        ),
        Question.CUSTOMER: (_(CUSTOMER_ANSWERS[given.customer]), Verdict.INFO),
        Question.INTEREST: (
            _(INTEREST_LABELS[given.interest]),
            Verdict.OK if given.interest is not Interest.INQUIRY else Verdict.INFO,
        ),
        Question.ACTIVITY: (_activity_text(activity), Verdict.INFO),
    }


def _listed(names: list[str]) -> str:
    """"phone", "phone and job title", "salutation, phone and job title"."""
    return names[0] if len(names) == 1 else _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def _activity_text(activity: dict[Activity, int]) -> str:
    """"6 emails opened, 6 clicked, 3 buying pages visited, 1 form filled": the counts as
    marketing recorded them (the score's breakdown says how many of them count)."""
    opened, clicked = activity[Activity.EMAILS_OPENED], activity[Activity.EMAILS_CLICKED]
    pages, forms = activity[Activity.PAGES_VISITED], activity[Activity.FORMS_FILLED]
    if not any((opened, clicked, pages, forms)):
        return _("none recorded")
    return ", ".join((
        ngettext("{count} email opened", "{count} emails opened", opened).format(count=number(opened)),
        ngettext("{count} clicked", "{count} clicked", clicked).format(count=number(clicked)),
        ngettext("{count} buying page visited", "{count} buying pages visited", pages).format(count=number(pages)),
        ngettext("{count} form filled", "{count} forms filled", forms).format(count=number(forms)),
    ))


#: A warning sign the rep set that the data does not show (the item says "set by rep").
SIGNAL_TEXT_SET = {
    Signal.WEBMAIL: N_("webmail address"),
    Signal.DISPOSABLE: N_("disposable address"),
    Signal.COMPETITOR: N_("competitor"),
    Signal.COUNTRY_NOT_SERVED: N_("country not served"),
    Signal.JOB_APPLICANT: N_("reads like a job application"),
}
#: The customer question's answers, by `CustomerKind`.
CUSTOMER_ANSWERS = {"new": N_("new"), "existing": N_("existing")}


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
