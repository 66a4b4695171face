"""The team's language: every word a person reads in English, German or Dutch.

Texts are marked with `_()` (or `ngettext()` where a count decides the form, `N_()` where
a text is only marked and translated later) and looked up in the gettext catalogs under
`triage/locale/<language>/LC_MESSAGES/`, one catalog per part of triage (`domain`,
`services`, `cli`, `screens`), compiled to `.mo` files that ship in the package. Babel
extracts and compiles them (see the README) and formats numbers, dates, times and
durations the way each language writes them. Machine-readable output (`--json`, the data
values of exports, codes such as `not_ready`) never goes through here.

The language is chosen once per process: `--lang`, else `$TRIAGE_LANG`, else the locale
(`LC_ALL`, `LC_MESSAGES`, `LANG`), else English.

How screens and the CLI show what the domain says (the domain's and services' texts are in
the `domain` and `services` catalogs; screens and CLI never put them in their own):

1. A code a person reads has a `.label` that is already in the language in use, looked up
   when asked for: `Stage`, `ReturnReason`, `ReturnPath`, `Role`, `Channel`, `Interest`,
   `Credit`, `SlaState`, `Signal`, `Activity`, `checklist.Question`, `checklist.Verdict`.
   Show `stage.label`; never `_()` it again. `.value` is the code (`not_ready`): `--json`,
   exports' data values, keys of a `Select`, never translated.
2. The tables behind the labels (`STAGE_LABELS`, `RETURN_REASON_LABELS`, `RETURN_PATH_LABELS`,
   `ROLE_LABELS`, `checklist.FIELD_LABELS`, `checklist.INTEREST_LABELS`, `rules.SIGNAL_LABELS`,
   ...) hold the English text, marked with `N_`: code that reads a table directly calls `_()`
   on the value where it shows it (`_(ROLE_LABELS[role])`); better, use `.label`.
   A checklist item (`checklist.ChecklistItem`) keeps its codes (`question`, `source`: the
   CLI's `--json`) and says them with `item.label` ("channel", "Kanal") and
   `item.source_label` ("set by rep", "vom Vertrieb gesetzt"); `Question.text` is the whole
   question; `checklist.choices(question)` the answers a rep may pick, translated.
   `ReturnPath.description` says what a path means ("back to marketing, may come back as MQL").
3. Text the domain, services or files build when they run comes out in the language in use:
   every `TriageError` (`RoleRefused`, `IllegalMove`, `StaleLead`, `LeadNotFound`, ...) and
   validation message, the checklist's answers, `SlaStatus.text()`, import summaries
   (`ImportSummary.line()`) and reject reasons, the calibration report. Show `str(error)` or
   the text as it comes; never `_()` it (it is not a msgid). What a refused actor wanted
   (`context.require_team_lead(N_("change the team"))`) is marked with `N_` by the caller
   and translated by the context. Audit notes and assignment reasons are stored, so they are
   written in English as before (show them as data); only an answer's note quotes the
   checklist answers as the rep read them.
4. A score's breakdown is stored in English (`ScorePart.reason`, data: `--json` and exports
   keep it). Show a part with `scoring.part_text(part)` ("+30 Demo-Anfrage") or the whole
   line with `scoring.format_parts(parts)`; `scoring.reason_text(reason)` for the reason alone.
5. Numbers, moments, days, times and durations go through `number()`, `decimal()`,
   `counted()`, `moment()`, `day()`, `clock_time()` and `duration()` here; nobody formats
   them with f-strings or strftime where a person reads them. `counted`'s two forms are
   extracted like `ngettext`'s (`-k counted:2,3`). `dates.parse_day` reads back what `day()`
   writes in each language ("27. Nov. 2026", "27 nov 2026"), besides 27.11.2026 and ISO.
6. Nothing is translated at import time: a module-level text is marked with `N_` and
   translated with `_()` where shown, so `use()` (done by the CLI before anything is built)
   decides the language of everything.
7. An XLSX export's headings and sheet name are in the language in use (`words.heading(column)`,
   `words.sheet_name(kind)`), and the importer reads them back in any of the three languages
   (`words.export_headings()`, through `in_every_language()` here); CSV and JSON keep the
   field names, and every data value is the same in every language.
8. The texts of `triage/files` are in the `services` catalog (`.ci/catalogs services`).
"""

from __future__ import annotations

import gettext
import os
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator, Mapping

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent

#: The languages triage speaks, by code, each in its own name.
LANGUAGES = {"en": "English", "de": "Deutsch", "nl": "Nederlands"}
ENV_VAR = "TRIAGE_LANG"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: The catalogs, one per part of triage; a text is looked up in each in turn.
CATALOGS = ("screens", "cli", "services", "domain")
#: How a moment is written: weekday, day, month and time ("Fr 27. Nov. 15:00").
MOMENT_PATTERNS = {"en": "EEE d MMM HH:mm", "de": "{weekday} d. MMM HH:mm", "nl": "EEE d MMM HH:mm"}
DAY_PATTERNS = {"en": "d MMM yyyy", "de": "d. MMM yyyy", "nl": "d MMM yyyy"}

_language = "en"
_catalog: gettext.NullTranslations = gettext.NullTranslations()


def choose(given: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """The language to speak: the first of `given`, $TRIAGE_LANG and the locale that
    names one triage speaks ("de_DE.UTF-8" is German), else English."""
    for value in (given, environ.get(ENV_VAR), environ.get("LC_ALL"), environ.get("LC_MESSAGES"),
                  environ.get("LANG")):
        code = (value or "").split(".")[0].split("_")[0].split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def use(language: str) -> None:
    """Speak `language` from now on in this process."""
    global _language, _catalog
    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not a language triage speaks; choose one of: {', '.join(LANGUAGES)}")
    catalog: gettext.NullTranslations = gettext.NullTranslations()
    if language != "en":
        chain: gettext.NullTranslations | None = None
        for name in CATALOGS:
            found = gettext.translation(name, LOCALE_DIR, languages=[language], fallback=True)
            if chain is None:
                chain = found
            else:
                chain.add_fallback(found)
        catalog = chain or catalog
    _language, _catalog = language, catalog


def current() -> str:
    return _language


def _(message: str) -> str:
    """`message` in the language in use ("" stays "": gettext would give the catalog's header)."""
    return _catalog.gettext(message) if message else message


def pgettext(context: str, message: str) -> str:
    """`message` in the language in use, as it is said in `context` (a place where the same
    English words need other ones: the queue's narrow SLA cell)."""
    return _catalog.pgettext(context, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a text for `count` ("{count} lead" / "{count} leads") in the language in use."""
    return _catalog.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks `message` for the catalogs; it is translated where it is shown, with `_()`."""
    return message


def number(value: float) -> str:
    """A number as the language writes it: 1,000,000 / 1.000.000."""
    return format_decimal(value, locale=_language)


def decimal(value: float, places: int) -> str:
    """A number with `places` decimals: 0.734 / 0,734 (English exactly as `f"{value:.3f}"`)."""
    text = f"{value:.{places}f}"
    if _language == "en":
        return text
    return format_decimal(Decimal(text), format="#,##0." + "0" * places if places else "#,##0", locale=_language)


def counted(count: int, singular: str, plural: str, **fields: object) -> str:
    """`count` with its noun, both for the language: `counted(n, "{count} lead", "{count} leads")`
    gives "1.204 Leads" in German. The two forms are msgids of the catalogs; `fields` fill
    the text's other placeholders."""
    return ngettext(singular, plural, count).format(count=number(count), **fields)


def moment(value: datetime) -> str:
    """A moment in this machine's time zone: "Fri 27 Nov 15:00", "Fr 27. Nov. 15:00", "vr 27 nov 15:00"."""
    local = value.astimezone()
    pattern = MOMENT_PATTERNS[_language]
    if "{weekday}" in pattern:
        weekday = format_date(local, "EEEEEE", locale=_language).rstrip(".")
        pattern = pattern.replace("{weekday}", f"'{weekday}'")
    return format_datetime(local, pattern, locale=_language)


def day(value: date) -> str:
    """A calendar day: "27 Nov 2026", "27. Nov. 2026", "27 nov 2026"."""
    return format_date(value, DAY_PATTERNS[_language], locale=_language)


def month(key: str) -> str:
    """A calendar month by its key ("2026-11"): the key itself in English, as the CLI has
    always written it; "Nov. 2026", "nov 2026"."""
    if _language == "en":
        return key
    year, number = (int(part) for part in key.split("-"))
    return format_date(date(year, number, 1), "MMM y", locale=_language)


def clock_time(value: datetime) -> str:
    return format_time(value.astimezone(), "HH:mm", locale=_language)


def duration(hours: float) -> str:
    """Business hours as the language writes them: "3 h 20 min", "3 Std. 20 Min.", "3 u 20 min"."""
    minutes = round(abs(hours) * 60)
    whole, rest = divmod(minutes, 60)
    sign = "-" if hours < 0 and minutes else ""
    if not whole:
        return sign + _("{minutes} min").format(minutes=rest)
    if not rest:
        return sign + _("{hours} h").format(hours=number(whole))
    return sign + _("{hours} h {minutes} min").format(hours=number(whole), minutes=rest)


def in_every_language(message: str) -> dict[str, str]:
    """`message` in each language triage speaks, by code (for reading back what any of them wrote)."""
    found = {}
    for code in LANGUAGES:
        if code == "en":
            found[code] = message
            continue
        catalog = _catalogs_of(code)
        found[code] = catalog.gettext(message)
    return found


_chains: dict[str, gettext.NullTranslations] = {}


def _catalogs_of(code: str) -> gettext.NullTranslations:
    chain = _chains.get(code)
    if chain is None:
        chain = gettext.NullTranslations()
        for name in CATALOGS:
            chain.add_fallback(gettext.translation(name, LOCALE_DIR, languages=[code], fallback=True))
        _chains[code] = chain
    return chain


# --- the screens' moments and days -------------------------------------------------------
#: A day without its year, as the language writes it ("26 Nov", "26. Nov.", "26 nov").
SHORT_DAY_PATTERNS = {"en": "dd MMM", "de": "d. MMM", "nl": "d MMM"}


def shown_moment(value: datetime, english: str) -> str:
    """A moment on a screen: in English as the screens have always written it (`english`,
    a strftime pattern such as "%d %b %H:%M"), in another language as `moment()` does."""
    return value.astimezone().strftime(english) if _language == "en" else moment(value)


def shown_day(value: date, english: str, *, year: bool = True) -> str:
    """A day on a screen: in English as `english` (strftime) writes it, in another language
    as `day()` does, or without the year ("26. Nov.")."""
    if _language == "en":
        return value.strftime(english)
    return day(value) if year else format_date(value, SHORT_DAY_PATTERNS[_language], locale=_language)


def percent(share: float) -> str:
    """A share as a whole percentage: "42%", "42 %" (German), "42%" (Dutch)."""
    if _language == "en":
        return f"{share:.0%}"
    return format_percent(share, locale=_language)


# ---------------------------------------------------------------------------------------
# For the command line (triage/cli)


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """`code` for the texts built inside (e.g. English for `--json`), the language in use again after."""
    before = _language
    use(code)
    try:
        yield
    finally:
        use(before)
