"""The scoring rules: the checklist's configuration and the points per answer.

They come from a TOML file: the documented default shipped in the package
(`default_rules.toml`), replaced as a whole by the user's own file in the config
directory, by `$TRIAGE_RULES`, or by `--rules PATH`. A file that does not parse or does
not fit is refused with its line, and whatever rules were in force stay in force.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from triage.domain.errors import TriageError
from triage.domain.language import N_, _
from triage.domain.models import Channel, Credit, Interest
from triage.domain.sla import SlaPolicy

ENV_VAR = "TRIAGE_RULES"
FILE_NAME = "rules.toml"

ContactField = Literal[
    "salutation", "first_name", "last_name", "email", "phone", "company", "job_title", "country"
]
CustomerKind = Literal["new", "existing"]


class Signal(StrEnum):
    """A seriousness warning the checklist raises."""

    WEBMAIL = "webmail"
    DISPOSABLE = "disposable"
    COMPETITOR = "competitor"
    COUNTRY_NOT_SERVED = "country_not_served"
    JOB_APPLICANT = "job_applicant"

    @property
    def label(self) -> str:
        return _(SIGNAL_LABELS[self])


SIGNAL_LABELS = {
    Signal.WEBMAIL: N_("webmail"),
    Signal.DISPOSABLE: N_("disposable address"),
    Signal.COMPETITOR: N_("competitor"),
    Signal.COUNTRY_NOT_SERVED: N_("country not served"),
    Signal.JOB_APPLICANT: N_("job applicant"),
}


class Activity(StrEnum):
    EMAILS_OPENED = "emails_opened"
    EMAILS_CLICKED = "emails_clicked"
    PAGES_VISITED = "pages_visited"
    FORMS_FILLED = "forms_filled"

    @property
    def label(self) -> str:
        return _(ACTIVITY_LABELS[self])


ACTIVITY_LABELS = {
    Activity.EMAILS_OPENED: N_("emails opened"),
    Activity.EMAILS_CLICKED: N_("emails clicked"),
    Activity.PAGES_VISITED: N_("buying pages visited"),
    Activity.FORMS_FILLED: N_("forms filled"),
}


ACTIVITY_UNITS = {
    Activity.EMAILS_OPENED: ("open", "opens"),
    Activity.EMAILS_CLICKED: ("click", "clicks"),
    Activity.PAGES_VISITED: ("buying page", "buying pages"),
    Activity.FORMS_FILLED: ("form", "forms"),
}


class RulesError(TriageError):
    """A rules file that cannot be used; the rules in force stay in force."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActivityPoints(_Strict):
    points: float
    cap: int = Field(ge=0)


class ChecklistConfig(_Strict):
    agreed_minimum: tuple[ContactField, ...] = ()
    free_mail_domains: frozenset[str] = frozenset()
    disposable_domains: frozenset[str] = frozenset()
    competitor_domains: frozenset[str] = frozenset()
    served_countries: frozenset[str] = frozenset()
    customer_domains: frozenset[str] = frozenset()
    applicant_words: tuple[str, ...] = ()

    @field_validator("free_mail_domains", "disposable_domains", "competitor_domains", "customer_domains")
    @classmethod
    def _domains(cls, value: frozenset[str]) -> frozenset[str]:
        for domain in value:
            if not re.fullmatch(r"[^@\s]+\.[^@\s.]+", domain.strip()):
                raise ValueError(_("{domain} is not a mail domain (e.g. example.com)").format(domain=repr(domain)))
        return frozenset(domain.strip().lower() for domain in value)

    @field_validator("served_countries")
    @classmethod
    def _countries(cls, value: frozenset[str]) -> frozenset[str]:
        for code in value:
            if not (len(code) == 2 and code.isalpha()):
                raise ValueError(_("{code} is not a two-letter country code (e.g. DE)").format(code=repr(code)))
        return frozenset(code.upper() for code in value)

    @field_validator("applicant_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(word.casefold() for word in value if word.strip())


class Points(_Strict):
    base: int = 0
    channel: dict[Channel, int] = {}
    interest: dict[Interest, int] = {}
    credit: dict[Credit, int] = {}
    customer: dict[CustomerKind, int] = {}
    signals: dict[Signal, int] = {}
    missing: dict[ContactField, int] = {}
    activity: dict[Activity, ActivityPoints] = {}


#: What marketing tells sales's outbox about: a decision or a recycle, by its kind.
WebhookEvent = Literal["accepted", "returned", "disqualified", "recycled"]


class Handover(_Strict):
    """When marketing hands a lead to sales at once (seed 004): the `[handover]` table."""

    #: Nurture finished: this many of the nurture series' mails opened or clicked.
    nurture_mails: int = Field(default=3, ge=1)
    #: A visit to a page whose address contains one of these is a visit to a buying page.
    buying_pages: tuple[str, ...] = ("/pricing", "/case-studies", "/services")
    #: A visit to a buying page hands the lead over at once.
    on_buying_page: bool = True
    #: A demo or audit request hands the lead over at once, as a handraiser.
    on_demo_or_audit: bool = True

    @field_validator("buying_pages")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(pattern.strip().casefold() for pattern in value if pattern.strip())


class Webhook(_Strict):
    """A receiver of marketing's automation tool that is told of sales' decisions at once."""

    url: str = Field(pattern=r"^https?://[^\s/]+")
    events: tuple[WebhookEvent, ...] = ("returned", "disqualified", "recycled")
    #: The shared secret the body is signed with (HMAC-SHA256), or the name of an
    #: environment variable of the machine running `triage serve` that holds it.
    secret: str = ""
    secret_env: str = ""


class Agreement(_Strict):
    """The volume agreement between marketing and sales (seed 004), per month."""

    #: What marketing hands over.
    mqls_per_month: int = Field(default=50, ge=0)
    #: Sales' side: the share of its answers (accept or return) within the SLA.
    answered_in_time: float = Field(default=1.0, ge=0, le=1)


#: The parts of the rules the score does not depend on, left out of its fingerprint.
NOT_SCORED = {"sla", "handover", "webhooks", "agreement"}


class Rules(_Strict):
    version: str = Field(min_length=1)
    checklist: ChecklistConfig = ChecklistConfig()
    points: Points = Points()
    #: Service levels; not part of the score, so not of the fingerprint either.
    sla: SlaPolicy = SlaPolicy()
    #: The hand-over triggers, the receivers of sales' decisions and the volume agreement:
    #: not part of the score either.
    handover: Handover = Handover()
    webhooks: tuple[Webhook, ...] = ()
    agreement: Agreement = Agreement()
    #: Where the rules came from, for messages: a path, or "the default rules".
    source: str = Field(default="", exclude=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        return str(value) if isinstance(value, (int, float)) else value

    def model_copy(self, *, update=None, deep: bool = False) -> "Rules":
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("stamp", None)  # the copy's content differs: fingerprint it afresh
        return copy

    @cached_property
    def stamp(self) -> str:
        """The version plus a fingerprint of the content: what a lead records as the rules
        that scored it, so that an edit without a new version still rescores."""
        content = json.dumps(_canonical(self.model_dump(mode="json", exclude=NOT_SCORED)), sort_keys=True)
        return f"{self.version}#{hashlib.sha256(content.encode()).hexdigest()[:8]}"

    def feature_points(self, feature: str) -> float:
        """Points per unit of one feature, such as "channel.event" or "activity.emails_clicked"."""
        group, _dot, key = feature.partition(".")
        if group == "activity":
            rule = self.points.activity.get(Activity(key))
            return rule.points if rule else 0
        table = getattr(self.points, group)
        for name, points in table.items():
            if str(name) == key:
                return points
        return 0

    def activity_cap(self, activity: Activity) -> int:
        rule = self.points.activity.get(activity)
        return rule.cap if rule else 0


def _canonical(value: Any) -> Any:
    """Sets come out of pydantic in hash order, which differs between processes."""
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted(_canonical(item) for item in value)
    return value


def _line_of(text: str, path: list[str]) -> int | None:
    """The line of the deepest TOML key or table on `path` ("points.channel.evnt")."""
    table: list[str] = []
    best: tuple[int, int] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            table = [part.strip().strip('"') for part in line.strip("[]").split(".")]
            candidate = table
        elif "=" in line:
            candidate = table + [part.strip().strip('"') for part in line.partition("=")[0].split(".")]
        else:
            continue
        if candidate and candidate == path[: len(candidate)] and (best is None or len(candidate) > best[0]):
            best = (len(candidate), number)
    return best[1] if best else None


def parse_rules(text: str, source: str) -> Rules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(_("rules file {source}: {problem}; the rules in force stay in force").format(
            source=source, problem=exc)) from None
    try:
        return Rules.model_validate({**data, "source": source})
    except ValidationError as exc:
        located = []
        for error in exc.errors():
            path = [str(part) for part in error["loc"] if not str(part).startswith("[")]
            located.append((_line_of(text, path), path, error))
        line, path, error = next((entry for entry in located if entry[0]), located[0])
        where = _(", line {line}").format(line=line) if line else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = _("not a setting triage knows")
        raise RulesError(
            _("rules file {source}{where}: {setting}: {problem}; the rules in force stay in force").format(
                source=source, where=where, setting=".".join(path), problem=message)
        ) from None


@cache
def default_rules() -> Rules:
    text = resources.files("triage.domain").joinpath("default_rules.toml").read_text(encoding="utf-8")
    return parse_rules(text, "the default rules")


def user_rules_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("triage", appauthor=False)) / FILE_NAME


def rules_path(explicit: str | Path | None = None) -> Path | None:
    """The rules file in force: `--rules`, else `$TRIAGE_RULES`, else the user's own
    file if there is one; None means the default rules."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    own = user_rules_path()
    return own if own.is_file() else None


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules from `path`, or from wherever `rules_path` finds them."""
    found = rules_path(path)
    if found is None:
        return default_rules()
    try:
        text = found.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(_("rules file {path} does not exist").format(path=found)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(_("rules file {path} cannot be read: {problem}").format(path=found, problem=exc)) from None
    return parse_rules(text, str(found))


def _toml_value(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: Any) -> str:
    return "[" + ", ".join(_toml_value(value) for value in sorted(values)) + "]"


def rules_to_toml(rules: Rules, header: str = "") -> str:
    """The rules as a TOML file that `parse_rules` reads back to the same rules."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [*([""] if lines else []), f"version = {_toml_value(rules.version)}", "", "[checklist]"]
    config = rules.checklist
    lines.append(f"agreed_minimum = [{', '.join(_toml_value(name) for name in config.agreed_minimum)}]")
    for name in ("free_mail_domains", "disposable_domains", "competitor_domains", "served_countries",
                 "customer_domains"):
        lines.append(f"{name} = {_toml_list(getattr(config, name))}")
    lines.append(f"applicant_words = [{', '.join(_toml_value(word) for word in config.applicant_words)}]")
    points = rules.points
    lines += ["", "[points]", f"base = {points.base}"]
    for group in ("channel", "interest", "credit", "customer", "signals", "missing"):
        lines += ["", f"[points.{group}]"]
        lines += [f"{name} = {value}" for name, value in getattr(points, group).items()]
    lines += ["", "[points.activity]"]
    lines += [
        f"{name} = {{ points = {_toml_value(rule.points)}, cap = {rule.cap} }}"
        for name, rule in points.activity.items()
    ]
    sla = rules.sla
    lines += [
        "", "[sla]",
        "hours = { " + ", ".join(f"{stage.value} = {_toml_value(hours)}" for stage, hours in sla.hours.items()) + " }",
        f"working_days = [{', '.join(str(day) for day in sla.working_days)}]",
        f'day_starts = "{sla.day_starts:%H:%M}"',
        f'day_ends = "{sla.day_ends:%H:%M}"',
        f"timezone = {_toml_value(sla.timezone)}",
        f"country = {_toml_value(sla.country)}",
        *([f"region = {_toml_value(sla.region)}"] if sla.region else []),
        f"soon_hours = {_toml_value(sla.soon_hours)}",
        f"on_breach = {_toml_value(sla.on_breach)}",
    ]
    handover = rules.handover
    lines += [
        "", "[handover]",
        f"nurture_mails = {handover.nurture_mails}",
        f"buying_pages = [{', '.join(_toml_value(pattern) for pattern in handover.buying_pages)}]",
        f"on_buying_page = {str(handover.on_buying_page).lower()}",
        f"on_demo_or_audit = {str(handover.on_demo_or_audit).lower()}",
        "", "[agreement]", f"mqls_per_month = {rules.agreement.mqls_per_month}",
        f"answered_in_time = {rules.agreement.answered_in_time}",
    ]
    for hook in rules.webhooks:
        lines += ["", "[[webhooks]]", f"url = {_toml_value(hook.url)}",
                  f"events = [{', '.join(_toml_value(event) for event in hook.events)}]"]
        lines += [f"{name} = {_toml_value(getattr(hook, name))}" for name in ("secret", "secret_env")
                  if getattr(hook, name)]
    return "\n".join(lines) + "\n"


class RulesVersion(BaseModel):
    """A version of the rules as the team adopted it: the rules in force are the newest.
    Kept as the TOML text, so that what was adopted is what is read back."""

    model_config = ConfigDict(frozen=True)

    number: int
    version: str
    stamp: str
    text: str
    adopted_by: str
    adopted_at: datetime
    note: str = ""

    def rules(self) -> Rules:
        return parse_rules(self.text, f"rules #{self.number} in the database")


def _flat(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        flat: dict[str, object] = {}
        for key, item in value.items():
            flat |= _flat(item, f"{prefix}.{key}" if prefix else str(key))
        return flat
    return {prefix: _canonical(value)}


def rules_difference(current: Rules, proposed: Rules) -> list[str]:
    """What `proposed` changes, a line per setting: "points.channel.event: 10 → 15"."""
    before = _flat(current.model_dump(mode="json"))
    after = _flat(proposed.model_dump(mode="json"))
    shown = lambda value: "–" if value is None else json.dumps(value, ensure_ascii=False)  # noqa: E731
    return [f"{key}: {shown(before.get(key))} → {shown(after.get(key))}"
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
