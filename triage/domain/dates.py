"""Days and numbers as German, Dutch and English users type them.

One reader for every option, dialog and file that takes a day: `31.03.2027`, `31.3.27`,
`31-3-27`, `31-03-2027` (day first, as in Germany and the Netherlands) and `2027-03-31`
(ISO, year first). A slash is left out on purpose: `03/04/2027` is the 3rd of April in
Europe and the 4th of March in a US export, and a person typing it cannot tell which we
would take.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from triage.domain.language import N_, _

#: What a person is told a day may look like.
DAY_FORMATS = N_("DD.MM.YYYY, DD-MM-YYYY or YYYY-MM-DD")

_DAY_FIRST = re.compile(r"(\d{1,2})([.-])(\d{1,2})\2(\d{2}|\d{4})\.?")
_YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
#: A day as `language.day` writes it, in any of the three languages: `27 Nov 2026`,
#: `27. Nov. 2026`, `27 nov 2026`, `27. November 2026`, `27 maart 2027`.
_NAMED_MONTH = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+(\d{2}|\d{4})")


@cache
def _months() -> dict[str, int]:
    from babel.dates import get_month_names

    found: dict[str, int] = {}
    for code in ("en", "de", "nl"):
        for width in ("abbreviated", "wide"):
            for number, name in get_month_names(width, locale=code).items():
                found[name.casefold().rstrip(".")] = number
    found.update({"mrz": 3, "sep": 9, "sept": 9, "okt": 10, "mar": 3})
    return found


def _year(text: str) -> int:
    """A two-digit year is this century's: `27` is 2027."""
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_day(text: str) -> date:
    """The day `text` names; ValueError saying which forms work when it names none."""
    given = text.strip()
    found = _YEAR_FIRST.fullmatch(given)
    if found:
        year, month, day = (int(part) for part in found.groups())
    else:
        found = _DAY_FIRST.fullmatch(given)
        named = None if found else _NAMED_MONTH.fullmatch(given)
        if named and named.group(2).casefold() in _months():
            return _calendar_day(given, _year(named.group(3)), _months()[named.group(2).casefold()],
                                 int(named.group(1)))
        if not found:
            raise ValueError(_("{given} is not a day ({formats})").format(given=repr(given), formats=_(DAY_FORMATS)))
        day, month, year = int(found.group(1)), int(found.group(3)), _year(found.group(4))
    return _calendar_day(given, year, month, day)


def _calendar_day(given: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(_("{given} is not a day of the calendar").format(given=repr(given))) from None


def parse_decimal(text: str) -> float:
    """A number with a decimal point or a decimal comma: `0,5` and `0.5` alike."""
    given = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _DECIMAL.fullmatch(given):
        raise ValueError(_("{given} is not a number (e.g. 0,5 or 0.5)").format(given=repr(text.strip())))
    return float(given.replace(",", "."))
