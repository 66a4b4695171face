"""Making user data safe to show: no control character ever reaches a terminal."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture, e.g. ESC shows as ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def printable(value: object) -> str:
    """`value` as text with every C0/C1 control character replaced by a visible symbol.

    Escape sequences (`\\x1b[2J`, `\\x1b]0;title\\x07`) thereby become inert text. This
    does not handle markup: show the result as plain text (`rich.text.Text`, `markup=False`).
    """
    text = "" if value is None else str(value)
    return text if text.isprintable() else _CONTROL.sub(_picture, text)


def one_line(value: object) -> str:
    """`printable`, for a single table cell: line breaks and tabs become spaces first."""
    text = "" if value is None else str(value)
    if text.isprintable():  # no control character, line break or tab: nothing to replace
        return text
    return printable(text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` and the noun in the right number, thousands grouped: "1 MQL", "1,204 MQLs"."""
    noun = singular if count == 1 else plural or singular + "s"
    return f"{count:,} {noun}"
