"""The catalogs: every text marked in the code is in each language's catalog, translated,
and the compiled catalogs shipped in the package say what their sources say."""

from __future__ import annotations

import gettext
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from triage.domain import language

ROOT = Path(__file__).resolve().parent.parent
#: Where each catalog's texts are marked.
SOURCES = {"screens": [ROOT / "screens"], "cli": [ROOT / "triage" / "cli"],
           "services": [ROOT / "triage" / "services", ROOT / "triage" / "files"], "domain": [ROOT / "triage" / "domain"]}
KEYWORDS = {"_": None, "N_": None, "pgettext": ((1, "c"), 2), "ngettext": (1, 2), "counted": (2, 3)}
TRANSLATED = [code for code in language.LANGUAGES if code != "en"]


def marked(catalog: str) -> set[tuple[str, str | None]]:
    """(text, context) of every text marked in the catalog's sources."""
    found = set()
    for folder in SOURCES[catalog]:
        for _, _, message, _, context in extract_from_dir(str(folder), method_map=[("**.py", "python")],
                                                          keywords=KEYWORDS):
            found.add((message[0] if isinstance(message, tuple) else message, context))
    return found


def source(code: str, catalog: str):
    path = language.LOCALE_DIR / code / "LC_MESSAGES" / f"{catalog}.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("catalog", language.CATALOGS)
def test_every_marked_text_is_translated(catalog, code):
    texts = marked(catalog)
    po = source(code, catalog)
    if not texts:
        return
    assert po is not None, f"{catalog}: {len(texts)} texts marked, but there is no {code} catalog"
    missing = sorted(text for text, context in texts if po.get(text, context=context) is None)
    assert not missing, f"{code}/{catalog}.po lacks {len(missing)} texts, e.g. {missing[:5]}"
    untranslated = [message.id for message in po if message.id and (
        message.fuzzy or not all(message.string if isinstance(message.string, tuple) else (message.string,)))]
    assert not untranslated, f"{code}/{catalog}.po leaves {len(untranslated)} untranslated, e.g. {untranslated[:5]}"


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("catalog", language.CATALOGS)
def test_the_shipped_compiled_catalog_says_what_its_source_says(catalog, code):
    po = source(code, catalog)
    if po is None:
        return
    compiled = BytesIO()
    write_mo(compiled, po)
    shipped = language.LOCALE_DIR / code / "LC_MESSAGES" / f"{catalog}.mo"
    assert shipped.exists(), f"{shipped} is missing: pybabel compile -d triage/locale -D {catalog}"
    compiled.seek(0)
    with shipped.open("rb") as handle:
        assert gettext.GNUTranslations(handle)._catalog == gettext.GNUTranslations(compiled)._catalog, (
            f"{shipped} is older than its .po: pybabel compile -d triage/locale -D {catalog}")


def test_the_language_comes_from_the_flag_then_triage_lang_then_the_locale():
    assert language.choose("nl", {"TRIAGE_LANG": "de", "LANG": "en_US.UTF-8"}) == "nl"
    assert language.choose(None, {"TRIAGE_LANG": "de", "LANG": "nl_NL.UTF-8"}) == "de"
    assert language.choose(None, {"LC_ALL": "", "LC_MESSAGES": "nl_BE.UTF-8", "LANG": "de_DE.UTF-8"}) == "nl"
    assert language.choose(None, {"LANG": "de_AT.UTF-8"}) == "de"
    assert language.choose(None, {"LANG": "fr_FR.UTF-8"}) == "en"
    assert language.choose(None, {}) == "en"


@pytest.mark.parametrize("code, moment, count", [
    ("en", "Fri 27 Nov 15:00", "1,000,000"),
    ("de", "Fr 27. Nov. 15:00", "1.000.000"),
    ("nl", "vr 27 nov 15:00", "1.000.000"),
])
def test_moments_and_numbers_are_written_as_each_language_writes_them(code, moment, count, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    import time

    time.tzset()
    try:
        language.use(code)
        assert language.moment(datetime(2026, 11, 27, 14, 0, tzinfo=timezone.utc)) == moment
        assert language.number(1_000_000) == count
    finally:
        language.use("en")
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_text_in_two_catalogs_is_translated_alike(code):
    """The catalogs are looked up one after another (screens, CLI, services, domain), so a
    text in two of them shows the first one's words everywhere: they must agree. Where the
    same English needs other words, a context tells them apart (`pgettext`)."""
    seen: dict[tuple[str, str | None], dict[str, str]] = {}
    for catalog in language.CATALOGS:
        po = source(code, catalog)
        for message in po or ():
            if message.id:
                key = (message.id if isinstance(message.id, str) else message.id[0], message.context)
                seen.setdefault(key, {})[catalog] = str(message.string)
    differ = {key: found for key, found in seen.items() if len(set(found.values())) > 1}
    assert not differ, f"{code}: {len(differ)} texts translated differently, e.g. {list(differ.items())[:3]}"
