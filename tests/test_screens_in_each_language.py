"""Every screen and dialog in German and in Dutch, with no English left but names and codes.

The captures of `screen_captures.py` (seeded leads, a fixed clock), taken under
`language.use("de")` and `("nl")` at 80x24 and 128x34. A word is English when it is a
word of an English text: of a text marked for the catalogs (every part's msgid) or of
the English captures stored in `tests/captures/` (so a text nobody marked yet counts
too). It is no fault when the language writes the same word ("Lead", "Filter", "Score":
a word of that language's translations), nor a name or a code: the seeded leads' and the
team's own data, the codes triage shows as they are (channel and field names; reasons and paths are named),
the keys and the terms the team keeps in every language (MQL, SAL, SRL, SLA).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from screen_captures import CAPTURES, IMPORT_FILE, SCENARIOS, SIZES, capture_all, fixed_world, seed

from test_language import KEYWORDS, SOURCES
from triage.domain import language
from triage.domain.models import Channel
from triage.files.importing import CANONICAL

LANGUAGES = [code for code in language.LANGUAGES if code != "en"]
#: A word: letters, with the underscores and apostrophes inside codes and names.
WORD = re.compile(r"[^\W\d_]+(?:['_][^\W\d_]+)*")
#: The team's terms, formats, keys and names that stay the same in every language.
KEPT = {
    "mql", "mqls", "sal", "srl", "sla", "auc", "csv", "json", "xlsx", "utf", "triage", "esc", "tab", "enter",
    "ctrl", "pgup", "pgdn", "home", "end", "shift", "max", "min", "id",
}
#: Words of data that are also English words of the screens: never excused as data.
NEVER_DATA = {"of", "the", "and", "to", "in", "for", "with", "at", "by", "on", "no", "not", "or", "is", "from"}


#: A word cut short where a column, a border or a scrollbar ends it: no word to judge.
CUT = re.compile(r"[…█▌▐▊▎▏│┃▕▔▁▀▄▂▃▅▆▇╭╮╰╯─]")


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text) if len(word) > 1}


def whole_words(line: str) -> list[str]:
    """The words of a line of a capture that no column, border or scrollbar cut short."""
    return [match.group() for match in WORD.finditer(line) if len(match.group()) > 1
            and not CUT.match(line, match.end()) and not (match.start() and CUT.match(line, match.start() - 1))]


@lru_cache(maxsize=None)
def english_words() -> frozenset[str]:
    found: set[str] = set()
    for source in (folder for folders in SOURCES.values() for folder in folders):
        for _, _, message, _, _ in extract_from_dir(str(source), method_map=[("**.py", "python")],
                                                    keywords=KEYWORDS):
            for text in message if isinstance(message, tuple) else (message,):
                found |= words(re.sub(r"\{\w*\}", " ", text))
    for path in CAPTURES.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            found |= {word.lower() for word in whole_words(line)}
    return frozenset(found)


@lru_cache(maxsize=None)
def translated_words(code: str) -> frozenset[str]:
    found: set[str] = set()
    for catalog in language.CATALOGS:
        path = language.LOCALE_DIR / code / "LC_MESSAGES" / f"{catalog}.po"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            for message in read_po(handle, locale=code):
                if message.id:
                    for text in message.string if isinstance(message.string, tuple) else (message.string,):
                        found |= words(re.sub(r"\{\w*\}", " ", text or ""))
    locale = Locale.parse(code)  # "Nov." is German as well
    for names in (locale.months["format"], locale.days["format"]):
        for width in names.values():
            found |= {word for name in width.values() for word in words(name)}
    return frozenset(found)


def names_and_codes(repo) -> tuple[set[str], list[str]]:
    """The words of the seeded data and of triage's codes, and the data's whole values
    (cut out of a line before its words are looked at, longest first)."""
    values: list[str] = ["leads.csv"]
    for member in repo.team():
        values += [member.login, member.name]
    for lead in repo.list_leads():
        values += [lead.first_name, lead.last_name, lead.name, lead.company, lead.email, lead.job_title,
                   lead.notes, lead.salutation, *lead.extra]
    for _, event in repo.return_events():
        values.append(event.note)
    for line in IMPORT_FILE:  # the file the import dialog shows
        values += line.split(";")
    values = sorted({value for value in values if value}, key=len, reverse=True)
    codes = {code.value for code in Channel} | set(CANONICAL)  # reasons and paths are shown by their names
    allowed = {word for value in values for word in words(value)} - NEVER_DATA
    allowed |= {word for code in codes for word in words(code) | words(code.replace("_", " "))} | KEPT
    return allowed, values


@lru_cache(maxsize=4)
def data_pattern(values: tuple[str, ...]) -> re.Pattern[str]:
    """The data's whole values, and each cut short by a column ("Hill, Bird and D…"), as
    whole words: a name inside another word ("West" in "Weston") is no value."""
    cut = {value[:size] + "…" for value in values for size in range(3, len(value))}
    alternatives = sorted({*values, *cut}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)")


def english_left(shot: str, code: str, allowed: set[str], values: list[str]) -> list[tuple[int, str, str]]:
    """(line number, word, line) of every English word in the capture `shot`."""
    english = english_words() - translated_words(code) - allowed
    data = data_pattern(tuple(values))
    found = []
    for number, line in enumerate(shot.splitlines(), start=1):
        text = data.sub(" ", line)
        for word in whole_words(text):
            if word.lower() in english:
                found.append((number, word, line.strip()))
    return found


@pytest.fixture
def speaking():
    yield language.use
    language.use("en")


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("code", LANGUAGES)
async def test_every_screen_speaks_the_language(tmp_path, speaking, code, size):
    with fixed_world(tmp_path):
        repo = seed(tmp_path)
        speaking(code)
        shots = await capture_all(repo, size)
        allowed, values = names_and_codes(repo)
    assert list(shots) == list(SCENARIOS)
    left = [f"{name}, line {number}: {word!r} in {line!r}"
            for name, shot in shots.items() for number, word, line in english_left(shot, code, allowed, values)]
    assert not left, f"{len(left)} English words on the screens in {code} at {size[0]}x{size[1]}:\n" + "\n".join(left)


def test_the_check_finds_english():
    """The check itself: an English line is found, the same line in German is not."""
    allowed, values = {"mql"}, ["Eva Brandt"]
    assert [word for _, word, _ in english_left("Accept Eva Brandt: it becomes a SAL", "de", allowed, values)] == \
        ["Accept", "it", "becomes"]
    assert english_left("Annehmen Eva Brandt: er wird zum SAL", "de", allowed, values) == []


@pytest.mark.parametrize("code", LANGUAGES)
async def test_the_palette_offers_textuals_own_commands_in_the_language(tmp_path, speaking, code):
    from textual.command import CommandList, CommandPalette

    from screens.app import TriageApp
    from triage.services import Services

    with fixed_world(tmp_path):
        repo = seed(tmp_path)
        speaking(code)
        app = TriageApp(Services.open(repo, "lena"))
        async with app.run_test(size=(128, 34)) as pilot:
            await pilot.press("ctrl+p")
            while not isinstance(app.screen, CommandPalette) or not app.screen.query_one(CommandList).option_count:
                await pilot.pause(0.01)
            await app.workers.wait_for_complete()
            await pilot.pause()
            commands = app.screen.query_one(CommandList)
            titles = [str(commands.get_option_at_index(index).prompt).splitlines()[0]
                      for index in range(commands.option_count)]
            placeholder = app.screen.query_one("CommandInput").placeholder
            await pilot.press(*"zzqx")  # no command has these letters
            while not commands.option_count or commands.get_option_at_index(0).id != "--no-matches":
                await pilot.pause(0.05)
            nothing = str(commands.get_option_at_index(0).prompt.renderable)
    expected = {"de": ["Farbschema", "Tasten", "Ende"], "nl": ["Kleurenschema", "Toetsen", "Stop"]}[code]
    assert all(title in titles for title in expected), titles
    assert not {"Theme", "Keys", "Quit", "Screenshot"} & set(titles)
    assert placeholder == language.in_every_language("Search for commands…")[code]
    assert nothing == language.in_every_language("No matches found")[code] != "No matches found"
