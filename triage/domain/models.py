"""The lead and everything said about it, as plain pydantic models."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from triage.domain.language import N_, _


class Stage(StrEnum):
    NEW = "new"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    RETURNED = "returned"
    DISQUALIFIED = "disqualified"

    @property
    def label(self) -> str:
        return _(STAGE_LABELS[self])


STAGE_LABELS = {
    Stage.NEW: N_("new"),
    Stage.MQL: N_("MQL"),
    Stage.SAL: N_("SAL"),
    Stage.SQL: N_("SQL"),
    Stage.OPPORTUNITY: N_("opportunity"),
    Stage.CUSTOMER: N_("customer"),
    Stage.RETURNED: N_("returned (SRL)"),
    Stage.DISQUALIFIED: N_("disqualified"),
}


class Channel(StrEnum):
    WEB_FORM = "web_form"
    EMAIL = "email"
    EVENT = "event"
    PHONE = "phone"
    REFERRAL = "referral"
    PARTNER = "partner"
    PAID_ADS = "paid_ads"
    ORGANIC_SEARCH = "organic_search"
    SOCIAL = "social"
    PURCHASED_LIST = "purchased_list"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _(CHANNEL_LABELS[self])


CHANNEL_LABELS = {
    Channel.WEB_FORM: N_("web form"),
    Channel.EMAIL: N_("email"),
    Channel.EVENT: N_("event"),
    Channel.PHONE: N_("phone"),
    Channel.REFERRAL: N_("referral"),
    Channel.PARTNER: N_("partner"),
    Channel.PAID_ADS: N_("paid ads"),
    Channel.ORGANIC_SEARCH: N_("organic search"),
    Channel.SOCIAL: N_("social"),
    Channel.PURCHASED_LIST: N_("purchased list"),
    Channel.OTHER: N_("other"),
}


class Interest(StrEnum):
    INQUIRY = "inquiry"
    QUOTE_REQUEST = "quote_request"
    DEMO_REQUEST = "demo_request"

    @property
    def label(self) -> str:
        return _(INTEREST_LABELS[self])


INTEREST_LABELS = {
    Interest.INQUIRY: N_("inquiry"),
    Interest.QUOTE_REQUEST: N_("quote request"),
    Interest.DEMO_REQUEST: N_("demo request"),
}


class Credit(StrEnum):
    """Creditworthiness (Bonität): unknown until somebody rates it A (best) to D."""

    UNKNOWN = "unknown"
    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def label(self) -> str:
        return _("unknown") if self is Credit.UNKNOWN else _("rated {grade}").format(grade=self.value)


class ReturnReason(StrEnum):
    NOT_READY = "not_ready"
    NO_FIT = "no_fit"
    CONTRACT = "contract"
    NO_AUTHORITY = "no_authority"
    CLOSED_LOST = "closed_lost"
    MISSING_DATA = "missing_data"
    CAPACITY = "capacity"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _(RETURN_REASON_LABELS[self])


RETURN_REASON_LABELS = {
    ReturnReason.NOT_READY: N_("not ready to buy / stopped responding"),
    ReturnReason.NO_FIT: N_("not a fit yet (budget, size)"),
    ReturnReason.CONTRACT: N_("bound by a contract"),
    ReturnReason.NO_AUTHORITY: N_("no buying power"),
    ReturnReason.CLOSED_LOST: N_("closed-lost deal"),
    ReturnReason.MISSING_DATA: N_("missing contact data"),
    ReturnReason.CAPACITY: N_("sales over capacity"),
    ReturnReason.OTHER: N_("other (needs a note)"),
}


class ReturnPath(StrEnum):
    NURTURE = "nurture"
    DISQUALIFY = "disqualify"

    @property
    def label(self) -> str:
        return _(RETURN_PATH_LABELS[self])

    @property
    def description(self) -> str:
        """What the path means, as the return dialog says it beside the label."""
        return _(RETURN_PATH_DESCRIPTIONS[self])

    @property
    def stage(self) -> Stage:
        return Stage.RETURNED if self is ReturnPath.NURTURE else Stage.DISQUALIFIED


RETURN_PATH_LABELS = {ReturnPath.NURTURE: N_("nurture"), ReturnPath.DISQUALIFY: N_("disqualify")}
RETURN_PATH_DESCRIPTIONS = {
    ReturnPath.NURTURE: N_("back to marketing, may come back as MQL"),
    ReturnPath.DISQUALIFY: N_("will never be a customer"),
}

#: What an email address looks like here: name@domain.tld, no spaces.
EMAIL_SHAPE = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_EMAIL = re.compile(rf"^{EMAIL_SHAPE}$")


def shown(text: str) -> str:
    """A value as a message quotes it, cut after 60 characters."""
    return repr(text if len(text) <= 60 else text[:60] + "…")


def _email_shape(value: str) -> str:
    if value and not _EMAIL.match(value):
        raise ValueError(_("{value} is not an email address (expected name@domain.tld)").format(value=shown(value)))
    return value


def _country_code(value: str) -> str:
    if value and not (len(value) == 2 and value.isalpha()):
        raise ValueError(_("{value} is not a two-letter country code (e.g. DE, NL, GB)").format(value=shown(value)))
    return value.upper()


# The rules of a lead's fields, each written once: `LeadData` is made of them, and the
# import's columnar validation of a batch of rows (`triage.files.importing.LeadRecord`) is
# derived from `LeadData`'s fields, adding only what a file needs (its own words, a length limit).
Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email_shape)]
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_country_code)]
Count = Annotated[int, Field(ge=0)]


def utcnow() -> datetime:
    """Now, in UTC, to the millisecond: as precise as a spreadsheet keeps a time, so that a
    lead's dates come back from an XLSX export exactly."""
    return to_millisecond(datetime.now(timezone.utc))


def to_millisecond(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _aware(value: datetime) -> datetime:
    """In UTC (a time without a zone is UTC), to the millisecond."""
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return to_millisecond(value)


class LeadData(BaseModel):
    """What marketing knows about a lead: the fields an import or a form fills."""

    model_config = ConfigDict(str_strip_whitespace=True, validate_assignment=True)

    salutation: Text = ""
    first_name: Text = ""
    last_name: Text = ""
    email: Email = ""
    phone: Text = ""
    job_title: Text = ""
    company: Text = ""
    country: CountryCode = ""
    channel: Channel = Channel.OTHER
    interest: Interest = Interest.INQUIRY
    existing_customer: bool = False
    creditworthiness: Credit = Credit.UNKNOWN
    emails_opened: Count = 0
    emails_clicked: Count = 0
    pages_visited: Count = 0
    forms_filled: Count = 0
    notes: Text = ""
    #: The lead's id in the system it came from (HubSpot's Record ID, ...).
    external_id: Text = ""
    #: Columns of an imported file that triage has no field for, kept as they were.
    extra: dict[str, str] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_handraiser(self) -> bool:
        """A handraiser asked for a demo: straight to sales, top priority."""
        return self.interest is Interest.DEMO_REQUEST

    @property
    def email_domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


class ScorePart(BaseModel):
    """One line of a score's breakdown: "+30 demo request"."""

    reason: str
    points: int


class Lead(LeadData):
    """A stored lead: its data plus where it stands in the lifecycle."""

    id: int
    score: int = Field(default=0, ge=0, le=100)
    stage: Stage = Stage.NEW
    owner: str | None = None
    recycle_count: int = 0
    version: int = 1
    created_at: datetime
    handed_over_at: datetime | None = None
    updated_at: datetime
    updated_by: str = ""
    #: The parts of `score`, which add up to it, and the rules version that scored it.
    score_breakdown: list[ScorePart] = []
    rules_version: str = ""
    #: The rep's answers to checklist questions, where they confirm or differ from the data.
    overrides: dict[str, str] = {}
    #: The rep's own grade, A (best) to D, kept beside the computed score.
    grade: str = Field(default="", pattern=r"^[A-D]?$")

    @field_validator("created_at", "handed_over_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)


class QueueRow(BaseModel):
    """One line of a rep's queue: only what the list shows, so pages stay small."""

    id: int
    first_name: str
    last_name: str
    company: str
    channel: Channel
    interest: Interest
    score: int
    handed_over_at: datetime
    owner: str | None
    version: int
    queue_key: str

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class ReturnDecision(BaseModel):
    """Why and where a lead goes back to marketing."""

    reason: ReturnReason
    path: ReturnPath
    note: str = ""
    contract_until: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "ReturnDecision":
        self.note = self.note.strip()
        if self.reason is ReturnReason.OTHER and not self.note:
            raise ValueError(_("reason 'other' needs a note saying why"))
        if self.contract_until is not None and self.reason is not ReturnReason.CONTRACT:
            raise ValueError(_("a contract end date only goes with reason 'contract'"))
        return self


class AuditEvent(BaseModel):
    """One state change of a lead: who, when, from and to which stage, and why."""

    id: int | None = None
    lead_id: int
    actor: str
    at: datetime
    action: str
    from_stage: Stage | None = None
    to_stage: Stage | None = None
    reason: ReturnReason | None = None
    path: ReturnPath | None = None
    note: str = ""
    #: The lead's fields the change set, as they were before it (e.g. stage and owner of an
    #: accept or return), so that an undo can put them back; None when not kept.
    prior: dict[str, str | None] | None = None

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _aware(value)


class Role(StrEnum):
    REP = "rep"
    LEAD = "lead"
    BOARD = "board"
    #: Marketing brings leads in (import), hands them over and recycles nurtured ones.
    MARKETING = "marketing"

    @property
    def label(self) -> str:
        return _(ROLE_LABELS[self])


ROLE_LABELS = {Role.REP: N_("rep"), Role.LEAD: N_("team lead"), Role.BOARD: N_("review board"),
               Role.MARKETING: N_("marketing")}


class AwayPeriod(BaseModel):
    since: date
    until: date  # the last day away

    @model_validator(mode="after")
    def _ordered(self) -> "AwayPeriod":
        if self.until < self.since:
            raise ValueError(_("an away period cannot end ({until}) before it starts ({since})").format(
                until=self.until, since=self.since))
        return self


class TeamMember(BaseModel):
    login: str = Field(min_length=1)
    name: str
    role: Role = Role.REP
    #: The rep's share of the leads relative to the others: 1 full time, 0.5 half.
    capacity: float = Field(default=1.0, gt=0)
    #: At most this many open MQLs assigned at once; None for no cap.
    cap: int | None = Field(default=None, ge=0)
    away: list[AwayPeriod] = []
    #: Countries (two-letter codes) and languages (de, nl, en, ...) the rep covers; none: all.
    countries: list[str] = []
    languages: list[str] = []

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        for code in value:
            if not (len(code) == 2 and code.isalpha()):
                raise ValueError(_("{code} is not a two-letter country code (e.g. DE)").format(code=repr(code)))
        return sorted({code.upper() for code in value})

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        for code in value:
            if not (2 <= len(code) <= 3 and code.isalpha()):
                raise ValueError(_("{code} is not a language code (e.g. de, nl, en)").format(code=repr(code)))
        return sorted({code.lower() for code in value})

    def is_away(self, day: date) -> bool:
        return any(period.since <= day <= period.until for period in self.away)
